// Hands results on in the order their work began, though each may take its own time to settle:
// the socket worker inflates terminal frames asynchronously, and a later reply or `terminal.exit`
// must not overtake the output before it.

/**
 * Returns a function that takes each value or a promise of it (its work already started) and
 * passes them to `deliver` in call order. A failed one goes to `drop`, and delivery goes on.
 */
export function inOrder<T>(deliver: (value: T) => void, drop: (err: unknown) => void): (next: T | Promise<T>) => void {
  let last = Promise.resolve();
  return (next) => {
    // Settled into what to run, never rejected, so that one failure cannot stall the rest.
    const settled = Promise.resolve(next).then(
      (value) => () => deliver(value),
      (err: unknown) => () => drop(err),
    );
    last = last.then(() => settled).then((run) => run());
  };
}
