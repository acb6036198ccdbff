/** The page's stylesheet, inlined in a `<style>` element the Content-Security-Policy names by hash. */
export const PAGE_STYLE = String.raw`
:root {
  color-scheme: light;
  --bg: #f4f5f7;
  --card: #ffffff;
  --ink: #1d2330;
  --muted: #5c6577;
  --line: #dde1e8;
  --closed: #1e8a4c;
  --half-open: #c77700;
  --open: #c62828;
  --forced: #7b1fa2;
  --disabled: #6b7280;
  --calls: #2563eb;
  --failures: #c62828;
  --rejections: #c77700;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); }
.top {
  display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px;
  padding: 12px 20px; background: #1d2330; color: #f4f5f7;
}
.top h1 { margin: 0; font-size: 18px; font-weight: 600; }
.top .summary { color: #c9cfdb; }
.top .spacer { flex: 1; }
.top input {
  font: inherit; padding: 5px 9px; border-radius: 6px; border: 1px solid #4b5468;
  background: #2a3142; color: #f4f5f7; min-width: 180px;
}
.connection { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #4b5468; }
.connection[data-status="live"] { background: var(--closed); }
.connection[data-status="reconnecting"] { background: var(--half-open); }
.notice { margin: 10px 20px 0; min-height: 1.4em; color: var(--muted); }
.notice[data-kind="error"] { color: var(--open); font-weight: 600; }
.notice[data-kind="ok"] { color: var(--closed); }
.cards {
  display: grid; gap: 14px; padding: 10px 20px 24px;
  grid-template-columns: repeat(auto-fill, minmax(340px, 1fr));
}
.empty { padding: 0 20px; color: var(--muted); }
.card {
  display: flex; flex-direction: column; gap: 8px; min-width: 0;
  background: var(--card); border: 1px solid var(--line); border-left: 6px solid var(--closed);
  border-radius: 8px; padding: 12px 12px 12px 14px;
}
.card[hidden], .empty[hidden] { display: none; }
.card[data-state="half-open"] { border-left-color: var(--half-open); }
.card[data-state="open"] { border-left-color: var(--open); }
.card[data-mode="forced-open"] { border-left-color: var(--forced); }
.card[data-mode="disabled"] { border-left-color: var(--disabled); border-left-style: dashed; }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: 10px; }
.card-head h2 {
  margin: 0; font-size: 16px; font-weight: 600; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; min-width: 0;
}
.badge {
  flex: none; font-size: 12px; font-weight: 700; letter-spacing: 0.04em; text-transform: uppercase;
  color: #fff; background: var(--closed); padding: 3px 9px; border-radius: 10px;
}
.card[data-state="half-open"] .badge { background: var(--half-open); }
.card[data-state="open"] .badge { background: var(--open); }
.card[data-mode="forced-open"] .badge { background: var(--forced); }
.card[data-mode="disabled"] .badge { background: var(--disabled); }
.facts { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.rates { display: flex; flex-wrap: wrap; gap: 4px 14px; font-variant-numeric: tabular-nums; }
.rate::before {
  content: ""; display: inline-block; width: 10px; height: 3px; margin-right: 5px;
  vertical-align: middle; background: currentColor;
}
.rate-calls { color: var(--calls); }
.rate-failures { color: var(--failures); }
.rate-rejections { color: var(--rejections); }
.spark { width: 100%; height: 56px; background: #f8f9fb; border: 1px solid var(--line); border-radius: 4px; }
.spark polyline { fill: none; stroke-width: 1.6; vector-effect: non-scaling-stroke; }
.spark .line-calls { stroke: var(--calls); }
.spark .line-failures { stroke: var(--failures); }
.spark .line-rejections { stroke: var(--rejections); }
.spark-caption { display: flex; justify-content: space-between; color: var(--muted); font-size: 12px; }
.actions { display: flex; flex-wrap: wrap; gap: 4px; }
.actions button {
  font: inherit; font-size: 12px; padding: 3px 7px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--line); background: #f4f5f7; color: var(--ink);
}
.actions button:hover { background: #e7eaf0; }
.actions button:disabled { cursor: progress; opacity: 0.6; }
`;
