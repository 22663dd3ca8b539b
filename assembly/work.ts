// The work meter: steps of table work whose number depends on what the tables hold (a record visited
// while unlinking from a chain or list, a session examined by the expiry sweep, a record walked to
// answer a filtering question), summed per process() call. The longest call's sum is what the bound in
// docs/fairness.md promises; tests assert it as a count, never as a time. Not on the express path.

class Work {
  static call: u32 = 0; // steps in the current process() call
  static peak: u32 = 0; // the largest call since workPeak() was last read
}

@inline export function workStep(n: u32 = 1): void {
  Work.call += n;
}

/** Closes a process() call: its steps become the peak when they are more. */
@inline export function workCallEnd(): void {
  if (Work.call > Work.peak) Work.peak = Work.call;
  Work.call = 0;
}

/** The most steps one process() call took since the last read (then starts over). */
export function workPeakTake(): u32 {
  const p = Work.peak;
  Work.peak = 0;
  return p;
}
