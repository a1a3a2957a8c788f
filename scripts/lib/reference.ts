/**
 * The reference SLA of the gas benchmark (issue #3), also the tests' default terms: availability_ppm (higher is
 * better: below 99.9% cuts 10%, 99.5% 25%, 99% 50%) and latency_p95_ms (lower is better: above 300 ms cuts 5%,
 * 500 ms 15%, 1 s 30%).
 */
export const REFERENCE_METRICS = [
  {
    higherIsBetter: true,
    tiers: [
      { threshold: 999_000, cutBps: 1000 },
      { threshold: 995_000, cutBps: 2500 },
      { threshold: 990_000, cutBps: 5000 },
    ],
  },
  {
    higherIsBetter: false,
    tiers: [
      { threshold: 300, cutBps: 500 },
      { threshold: 500, cutBps: 1500 },
      { threshold: 1000, cutBps: 3000 },
    ],
  },
];
