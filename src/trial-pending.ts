/**
 * What admission answers when a shared storage has asked its store for a trial slot and will
 * announce the answer: the caller waits for that announcement and asks again.
 */
export const TRIAL_PENDING: unique symbol = Symbol("aiobreaker.trialPending");

/** The type of {@link TRIAL_PENDING}. */
export type TrialPending = typeof TRIAL_PENDING;

/**
 * How many announcements a caller waits for a pending trial slot before it is refused: a storage
 * answers within its own command timeout, so one is enough; the rest covers announcements that
 * answered another caller.
 */
export const PENDING_ROUNDS = 3;
