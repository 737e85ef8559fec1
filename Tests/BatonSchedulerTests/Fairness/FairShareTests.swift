import Testing

@testable import BatonScheduler

@Suite struct FairShareTests {
    static func tenant(_ name: String, waiting: Int, running: Int, oldest: Int = 0) -> FairShare.Tenant {
        FairShare.Tenant(name: name, waiting: waiting, running: running, oldest: oldest)
    }

    /// A tenant with a thousand waiting does not keep a slot from one with five.
    @Test func theTenantWithTheSmallestShareGoesFirst() {
        let released = FairShare.release(
            [
                Self.tenant("bulk", waiting: 1000, running: 16, oldest: 1),
                Self.tenant("small", waiting: 5, running: 0, oldest: 900),
            ],
            free: 3, policy: FairnessConfiguration())
        #expect(released == ["small": 3])
        let even = FairShare.release(
            [
                Self.tenant("a", waiting: 10, running: 0, oldest: 1),
                Self.tenant("b", waiting: 10, running: 0, oldest: 2),
            ],
            free: 4, policy: FairnessConfiguration())
        #expect(even == ["a": 2, "b": 2])
    }

    @Test func weightsShareTheSlotsInProportion() {
        let policy = FairnessConfiguration(tenants: ["gold": .init(weight: 3)])
        let released = FairShare.release(
            [
                Self.tenant("gold", waiting: 100, running: 0, oldest: 5),
                Self.tenant("basic", waiting: 100, running: 0, oldest: 1),
            ],
            free: 8, policy: policy)
        #expect(released == ["gold": 6, "basic": 2])
    }

    @Test func aTenantAtItsLimitWaitsAndTheSlotGoesToAnother() {
        let policy = FairnessConfiguration(tenants: ["capped": .init(maxRunning: 2)])
        let released = FairShare.release(
            [
                Self.tenant("capped", waiting: 50, running: 1, oldest: 1),
                Self.tenant("other", waiting: 1, running: 5, oldest: 2),
            ],
            free: 10, policy: policy)
        #expect(released == ["capped": 1, "other": 1])
        #expect(FairShare.release([Self.tenant("capped", waiting: 5, running: 2)], free: 3, policy: policy).isEmpty)
    }

    /// Ties go to whoever has waited longest, and nothing is released without room.
    @Test func tiesGoToTheLongestWaitingAndNoRoomReleasesNothing() {
        let released = FairShare.release(
            [
                Self.tenant("late", waiting: 3, running: 1, oldest: 9),
                Self.tenant("early", waiting: 3, running: 1, oldest: 2),
            ],
            free: 1, policy: FairnessConfiguration())
        #expect(released == ["early": 1])
        #expect(
            FairShare.release([Self.tenant("a", waiting: 3, running: 0)], free: 0, policy: FairnessConfiguration())
                .isEmpty)
        #expect(
            FairShare.release([Self.tenant("a", waiting: 3, running: 0)], free: -4, policy: FairnessConfiguration())
                .isEmpty)
    }
}

@Suite struct DispatchAdmissionTests {
    /// Light load skips the queue; a tenant with commands waiting, at its limit, or with
    /// no slot left does not.
    @Test func aCommandSkipsTheQueueOnlyWhileThereIsRoomAndNoQueue() {
        let admission = DispatchAdmission(policy: FairnessConfiguration(tenants: ["capped": .init(maxRunning: 1)]))
        #expect(!admission.admitDirectly("a"))  // nothing known yet: through the gate
        admission.update(freeSlots: 2, waiting: ["queued"], running: ["capped": 1])
        #expect(!admission.admitDirectly("queued"))
        #expect(!admission.admitDirectly("capped"))
        #expect(admission.admitDirectly("a"))
        #expect(admission.admitDirectly("b"))
        #expect(!admission.admitDirectly("c"))
    }
}
