import Testing

@testable import BatonScheduler

@Suite struct HistoryCursorTests {
    static let start = ContinuousClock.now

    @Test func aSequenceSkippedOverIsLookedForUntilItComes() {
        var cursor = HistoryCursor(position: 10)
        cursor.saw([11, 14], now: Self.start)
        #expect(cursor.position == 14)
        #expect(cursor.openHoles == [12, 13])
        #expect(cursor.resumePoint == 11)
        cursor.saw([13, 15], now: Self.start + .seconds(1))
        #expect(cursor.openHoles == [12])
        #expect(cursor.resumePoint == 11)
        cursor.saw([12], now: Self.start + .seconds(2))
        #expect(cursor.openHoles.isEmpty)
        #expect(cursor.resumePoint == 15)
    }

    /// A rolled-back transaction's number never comes: it is given up on.
    @Test func aHoleThatNeverFillsIsGivenUpAfterItsLifetime() {
        var cursor = HistoryCursor(position: 0)
        cursor.saw([2], now: Self.start)
        #expect(cursor.openHoles == [1])
        cursor.saw([], now: Self.start + HistoryCursor.holeLifetime)
        #expect(cursor.openHoles.isEmpty)
        #expect(cursor.resumePoint == 2)
    }

    @Test func readsInAnyOrderAndRepeatsChangeNothing() {
        var cursor = HistoryCursor(position: 0)
        cursor.saw([3, 1, 2, 2, 1], now: Self.start)
        #expect(cursor.position == 3)
        #expect(cursor.openHoles.isEmpty)
    }

    @Test func openHolesAreBounded() {
        var cursor = HistoryCursor(position: 0)
        cursor.saw([HistoryCursor.maximumHoles + 1], now: Self.start)
        #expect(cursor.openHoles.count == HistoryCursor.maximumHoles)
        cursor.saw([HistoryCursor.maximumHoles + 3], now: Self.start)
        #expect(cursor.openHoles.count == HistoryCursor.maximumHoles)
        #expect(cursor.openHoles.first == 2)
        var far = HistoryCursor(position: 0)
        far.saw([1_000_000_000], now: Self.start)
        #expect(far.openHoles.isEmpty)
        #expect(far.position == 1_000_000_000)
    }
}
