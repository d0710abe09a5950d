/**
 * Timing of the kupdate flusher (docs/model.md#flusher-timing-the-period-rule-and-the-clean-delay-trace).
 */

/**
 * The period the kernel's timer wheel actually gives a delayed work of W seconds.
 * wb_wakeup_delayed arms `j = msecs_to_jiffies(W * 1000)` jiffies (rounded up); the timer
 * lands on the next boundary of its wheel level (kernel/time/timer.c calc_index):
 * `P = (floor(j / g) + 1) * g / hz`, `g = 8^L`, L the smallest level with `j < 64 * 8^L`.
 * At hz 250 the default 5 s (1250 jiffies) becomes 1280 jiffies = 5.12 s.
 * `hz = 0` gives the idealised period W.
 */
export function kupdatePeriod(writebackInterval: number, hz: number): number {
  if (writebackInterval <= 0) return 0;
  if (hz === 0) return writebackInterval;
  // msecs_to_jiffies rounds up; the small epsilon absorbs binary noise such as 0.3 * 250.
  const j = Math.ceil(writebackInterval * hz - 1e-9);
  let g = 1;
  while (j >= 64 * g) g *= 8;
  return ((Math.floor(j / g) + 1) * g) / hz;
}
