#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import Synchronization

/// A fork-join pool for the spike-driven kernels: `run(parts:)` calls `body(0..<parts)` on the
/// calling thread plus up to `parts − 1` persistent workers, and returns when every part is done.
///
/// A model's spike projections are small (B = 1, one timestep: 30–300 µs each) and come in long
/// runs, so the start-up cost of a fork-join decides whether a second core helps at all:
/// `DispatchQueue.concurrentPerform` wakes a blocked worker per call (tens of µs). These workers
/// instead poll for about a millisecond after each job, calling `sched_yield` between polls so
/// that any other runnable thread (OpenBLAS's workers, a neighbouring process) takes the core at
/// once, and the next job of a forward starts within about a µs; only then do they sleep on a
/// condition variable. Parts are claimed dynamically from one atomic word, so a
/// worker that is late (its core busy) simply takes fewer parts.
///
/// A job is shared only while a worker is polling (it polled within the last 20 µs): when none
/// is (all asleep after a pause, or the cores busy with other processes, as on a shared build
/// machine), the caller runs every part itself and wakes the workers for the next job, rather
/// than hand a part to a thread that may wait a whole scheduler time slice for a core.
///
/// One job at a time: a call made while another thread's job is running (e.g. `eval --threads`
/// runs several models at once) runs its parts on the calling thread, one after another.
/// Which thread computes a part never changes its result: parts write disjoint outputs.
final class KernelThreads: @unchecked Sendable {
    static let shared = KernelThreads()

    /// Job word: generation (bits 32–63) | parts (bits 16–31) | next unclaimed part (bits 0–15).
    private let state = Atomic<UInt64>(0)
    /// Parts not yet finished in the current job.
    private let remaining = Atomic<Int>(0)
    /// Set while a caller owns the pool.
    private let busy = Atomic<Bool>(false)
    /// When an idle worker last polled for a job (`DispatchTime` ns): fresh means it is on a
    /// core right now and will take its share at once.
    private let heartbeat = Atomic<UInt64>(0)
    /// A worker that polled within this many ns is taken to be running.
    static let freshNanoseconds: UInt64 = 20_000
    /// The current job's body; written before the job word is published, read by a worker only
    /// after it claimed a part of that job (so it is still set: that part is unfinished).
    private var body: ((Int) -> Void)?
    private var generation: UInt32 = 0
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    /// Guarded by `mutex`.
    private var sleepers = 0
    private var started = 0
    /// How long an idle worker spins before it sleeps (ns).
    static let spinNanoseconds: UInt64 = 1_000_000

    private init() {
        mutex = .allocate(capacity: 1)
        wake = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }

    /// Calls `body(p)` for every `p` in `0..<parts`, concurrently on up to `parts` threads
    /// (`parts` ≤ 65,535). Parts must write disjoint memory.
    func run(parts: Int, _ body: @escaping (Int) -> Void) {
        precondition(parts <= 0xFFFF, "KernelThreads: at most 65535 parts")
        guard parts > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for p in 0..<max(0, parts) { body(p) }
            return
        }
        startWorkers(upTo: parts - 1)
        // No worker polling right now (asleep after a pause, or its core taken by another
        // process): a part handed to it could wait a whole scheduler time slice, so run this job
        // here, and wake the workers for the next one.
        if DispatchTime.now().uptimeNanoseconds &- heartbeat.load(ordering: .relaxed) > Self.freshNanoseconds {
            pthread_mutex_lock(mutex)
            if sleepers > 0 { pthread_cond_broadcast(wake) }
            pthread_mutex_unlock(mutex)
            busy.store(false, ordering: .releasing)
            for p in 0..<parts { body(p) }
            return
        }
        self.body = body
        generation &+= 1
        let g = generation
        remaining.store(parts, ordering: .relaxed)
        state.store(UInt64(g) << 32 | UInt64(parts) << 16, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        if sleepers > 0 { pthread_cond_broadcast(wake) }
        pthread_mutex_unlock(mutex)
        work(g)
        var spins = 0
        while remaining.load(ordering: .acquiring) > 0 {
            spins &+= 1
            // Parts still running elsewhere: poll, and after a short while yield the core (a
            // worker whose core was taken by another process can then run here).
            if spins > 64 { sched_yield() } else { spinPause() }
        }
        self.body = nil
        busy.store(false, ordering: .releasing)
    }

    /// Claims and runs parts of job `g` until none is left.
    private func work(_ g: UInt32) {
        var s = state.load(ordering: .acquiring)
        while true {
            let parts = (s >> 16) & 0xFFFF, next = s & 0xFFFF
            guard UInt32(truncatingIfNeeded: s >> 32) == g, next < parts else { return }
            let (claimed, current) = state.compareExchange(expected: s, desired: s + 1, ordering: .acquiringAndReleasing)
            if claimed {
                body?(Int(next))
                remaining.subtract(1, ordering: .releasing)
                s = state.load(ordering: .acquiring)
            } else {
                s = current
            }
        }
    }

    private func startWorkers(upTo count: Int) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while started < count {
            started += 1
            let thread = Thread { [self] in workerLoop() }
            thread.name = "rtformer-kernel-\(started)"
            thread.start()
        }
    }

    private func workerLoop() {
        var seen = UInt32(truncatingIfNeeded: state.load(ordering: .acquiring) >> 32)
        while true {
            var g = UInt32(truncatingIfNeeded: state.load(ordering: .acquiring) >> 32)
            if g == seen {
                let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
                while g == seen {
                    // Yield on every poll, as OpenBLAS's idle workers do: another runnable thread
                    // (OpenBLAS's, a neighbour's) gets the core at once; an idle core comes back
                    // within a µs.
                    sched_yield()
                    let now = DispatchTime.now().uptimeNanoseconds
                    heartbeat.store(now, ordering: .relaxed)
                    if now > deadline {
                        g = sleep(seen: seen)
                        break
                    }
                    g = UInt32(truncatingIfNeeded: state.load(ordering: .acquiring) >> 32)
                }
            }
            seen = g
            work(g)
            // Back to polling: the next job may start before the first poll below.
            heartbeat.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        }
    }

    /// Blocks until woken (a new job, or a caller that found no worker polling); returns the
    /// job word's generation then.
    private func sleep(seen: UInt32) -> UInt32 {
        pthread_mutex_lock(mutex)
        sleepers += 1
        var g = UInt32(truncatingIfNeeded: state.load(ordering: .sequentiallyConsistent) >> 32)
        if g == seen {
            pthread_cond_wait(wake, mutex)
            g = UInt32(truncatingIfNeeded: state.load(ordering: .sequentiallyConsistent) >> 32)
        }
        sleepers -= 1
        pthread_mutex_unlock(mutex)
        return g
    }

    /// A few iterations of nothing between polls of the job word.
    @inline(__always) private func spinPause() {
        for _ in 0..<8 { _ = state.load(ordering: .relaxed) }
    }
}
