/**
 * V8 heap flags the function runs with: the image's ENTRYPOINT gives them to
 * Node (Dockerfile; a test holds the two equal), and `startServerProcess`
 * (scripts/lib/bench.ts) gives them to the processes the benches measure, so
 * they measure what the image runs. They must be on Node's command line: V8
 * reads them only at start, and Node refuses `--heap-growing-percent` in
 * NODE_OPTIONS.
 *
 * Why (docs/function.md, "Response cache", has the measurements): without them
 * V8 sizes its heap from the machine's memory, so the same load peaked at
 * 150-200 MiB RSS on a 24 GiB machine (16 MiB semi-spaces; old space let grow
 * to 4x its live size between full collections) and would run with 1 MiB
 * semi-spaces in a pod limited to 512Mi. With them (and the 16 MiB response
 * cache) the cold path peaks at 126-129 MiB, run after run, for about 10 % more
 * CPU per composed call.
 * - `--max-semi-space-size=8`: the young generation stops growing at 2 x 8 MiB.
 *   A composed call allocates about 2 MiB, so few calls see a scavenge promote
 *   their temporaries; 1-4 MiB saved 10-15 MiB more but cost 20-40 % more CPU.
 * - `--heap-growing-percent=30`: old space may grow 30 % past what it held live
 *   before V8 collects it again, without capping the heap (the operator's
 *   `--max-old-space-size` in NODE_OPTIONS does that).
 * - `--expose-gc`: lets the server ask for a scavenge after every 8 MiB of
 *   requests (server.ts, ExternalMemoryScavenger), so the gRPC buffers of
 *   cached and reused answers, which allocate little heap, are freed as
 *   promptly as those of composed ones: 10 MiB less peak RSS under a burst of
 *   reused Environment answers.
 */
export const V8_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=30', '--expose-gc'];
