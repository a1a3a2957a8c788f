/**
 * One small SVG chart per metric: the attested value of each milestone (by period) against the metric's tier
 * thresholds, so a party sees at a glance which periods breached which tier. Drawn as plain SVG (no library, no
 * canvas: it prints and scales), with a text summary for screen readers.
 */
import type { AgreementTerms, MetricSpec } from "../../scripts/lib";
import { formatCut, formatMetricValue } from "../../scripts/lib";

const W = 320;
const H = 140;
const PAD = { left: 8, right: 8, top: 10, bottom: 18 };

export function MetricChart({
  terms,
  metric,
  spec,
  values,
}: {
  terms: AgreementTerms;
  metric: number;
  /** The metric's spec, when known: its name labels the chart and values show in its unit. */
  spec?: MetricSpec;
  /** The attested value of each milestone, undefined when not attested. */
  values: (number | undefined)[];
}) {
  const m = terms.metrics[metric];
  const thresholds = m.tiers.map((t) => Number(t.threshold));
  const seen = values.filter((v): v is number => v !== undefined);
  const all = [...thresholds, ...seen];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const span = hi - lo;
  lo -= span * 0.1;
  hi += span * 0.1;
  const n = values.length;
  const x = (i: number) => PAD.left + (W - PAD.left - PAD.right) * (n === 1 ? 0.5 : i / (n - 1));
  const y = (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - (v - lo) / (hi - lo));
  const label = spec?.name ?? `metric ${metric}`;
  const fmt = (v: number) => formatMetricValue(spec, v);
  const points = values.flatMap((v, i) => (v === undefined ? [] : [`${x(i).toFixed(1)},${y(v).toFixed(1)}`]));
  const summary =
    `${label} (${m.higherIsBetter ? "higher" : "lower"} is better): ` +
    (seen.length === 0
      ? "no period attested yet"
      : values.map((v, i) => `milestone ${i} ${v === undefined ? "not attested" : fmt(v)}`).join(", ")) +
    `; tiers ${m.tiers.map((t) => `${m.higherIsBetter ? "below" : "above"} ${fmt(Number(t.threshold))} cuts ${formatCut(t.cutBps)}`).join(", ")}`;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={summary}>
        <rect x={0} y={0} width={W} height={H} fill="#fff" stroke="#999" />
        {m.tiers.map((t, k) => (
          <g key={k}>
            <line
              x1={PAD.left}
              x2={W - PAD.right}
              y1={y(Number(t.threshold))}
              y2={y(Number(t.threshold))}
              stroke="#b35900"
              strokeDasharray="4 3"
            />
            <text x={W - PAD.right} y={y(Number(t.threshold)) - 2} fontSize={9} textAnchor="end" fill="#6b3500">
              {fmt(Number(t.threshold))}: {formatCut(t.cutBps)}
            </text>
          </g>
        ))}
        {points.length > 1 && <polyline points={points.join(" ")} fill="none" stroke="#1a5fb4" strokeWidth={1.5} />}
        {values.map((v, i) => (v === undefined ? null : <circle key={i} cx={x(i)} cy={y(v)} r={3} fill="#1a5fb4" />))}
        {values.map((_, i) =>
          n <= 24 || i % Math.ceil(n / 12) === 0 ? (
            <text key={`t${i}`} x={x(i)} y={H - 5} fontSize={9} textAnchor="middle" fill="#333">
              {i}
            </text>
          ) : null,
        )}
      </svg>
      <figcaption>{label} per milestone, against its tiers</figcaption>
    </figure>
  );
}
