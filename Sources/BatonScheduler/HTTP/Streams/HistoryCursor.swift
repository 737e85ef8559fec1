/// Where a reader of the whole history (every workflow's entries, by sequence) stands,
/// so that it misses no entry although sequences become visible out of order.
///
/// A sequence number is taken when an entry is inserted, but the entry is visible
/// only when its transaction commits: entry 11 can be seen before entry 10, which
/// may still commit a moment later — or never, when its transaction rolls back. A
/// number skipped over is kept as a hole and looked for again at every read, until it
/// turns up or `holeLifetime` passes (no transaction of the scheduler's lasts that
/// long; a rolled-back one leaves its number unused forever).
struct HistoryCursor: Sendable, Hashable {
    /// The highest sequence seen.
    private(set) var position: Int
    /// Skipped sequences, with when they were first skipped.
    private var holes: [Int: ContinuousClock.Instant] = [:]

    static let holeLifetime: Duration = .seconds(30)
    /// Past this many open holes the oldest are given up: a reader that far behind
    /// sees the changes again through later entries of the same workflows.
    static let maximumHoles = 10_000

    init(position: Int) { self.position = position }

    /// The skipped sequences to read again.
    var openHoles: [Int] { holes.keys.sorted() }

    /// Where a reader resuming later must start to miss nothing: just below the
    /// oldest open hole.
    var resumePoint: Int { holes.keys.min().map { $0 - 1 } ?? position }

    /// Takes in the sequences a read returned (any order), as of `now`.
    mutating func saw(_ sequences: [Int], now: ContinuousClock.Instant) {
        for sequence in sequences.sorted() {
            if sequence > position {
                // Numbers skipped between the last seen and this one; a huge jump
                // (the sequence restarted far ahead) is not worth a hole each.
                if sequence - position - 1 <= Self.maximumHoles {
                    for skipped in (position + 1)..<sequence { holes[skipped] = now }
                }
                position = sequence
            } else {
                holes[sequence] = nil
            }
        }
        expire(now: now)
    }

    /// Forgets holes older than `holeLifetime`, and the oldest beyond `maximumHoles`.
    mutating func expire(now: ContinuousClock.Instant) {
        holes = holes.filter { now - $0.value < Self.holeLifetime }
        if holes.count > Self.maximumHoles {
            for sequence in holes.keys.sorted().prefix(holes.count - Self.maximumHoles) { holes[sequence] = nil }
        }
    }
}
