/** One benchmark figure, against a baseline measured in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  baselineName: string;
}

export function printTable(results: BenchResult[]): void {
  const rows = results.map((r) => [r.name, `${r.value.toFixed(1)} ${r.unit}`, `${r.baseline.toFixed(1)} ${r.unit} (${r.baselineName})`, `${(r.value / r.baseline).toFixed(2)}×`]);
  const head = ['benchmark', 'paas', 'baseline', 'ratio'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}
