/** Connectivity probes and the degraded-mode reasons they feed (docs/session-policy.md, "Degraded mode"). */
export * from './health-error.js';
export * from './degraded-reasons.js';
export * from './connectivity-probe.js';
