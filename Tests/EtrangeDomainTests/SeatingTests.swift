import EtrangeDomain
import Testing

@Suite struct SeatingTests {
    func request(
        _ status: SessionStatus = .active, late: Bool = true, max: Int = 4, seated: Int = 0,
        held: Bool = false, still: Bool = false, role: SeatRole = .player
    ) -> SeatRequest {
        SeatRequest(
            status: status, allowLateJoin: late, maxPlayers: max, seatedPlayers: seated,
            heldASeat: held, stillSeated: still, role: role)
    }

    @Test func aFreeSeatIsTaken() {
        #expect(request(seated: 3).refusal == nil)
    }

    @Test func theLastSeatIsTheLast() {
        #expect(request(seated: 4).refusal == .full(maxPlayers: 4))
    }

    @Test func reconnectingNeedsNoFreeSeat() {
        #expect(request(seated: 4, held: true, still: true).refusal == nil)
    }

    @Test func observersAndTheMasterDoNotCount() {
        #expect(request(seated: 4, role: .observer).refusal == nil)
        #expect(request(late: false, seated: 4, role: .master).refusal == nil)
    }

    @Test(arguments: [SessionStatus.active, .paused])
    func lateJoinRefusedToNewcomers(status: SessionStatus) {
        #expect(request(status, late: false).refusal == .lateJoinClosed)
        #expect(request(status, late: false, held: true).refusal == nil)
    }

    /// An observer takes nothing from those who had a seat, so they may come late; a finished session stays closed.
    @Test(arguments: [SessionStatus.active, .paused])
    func observersMayComeLate(status: SessionStatus) {
        #expect(request(status, late: false, seated: 4, role: .observer).refusal == nil)
        #expect(request(.completed, role: .observer).refusal == .finished(.completed))
    }

    @Test func observersDrawNoCards() {
        #expect(SeatRole.allCases.filter { !$0.drawsCards } == [.observer])
    }

    @Test func lateJoinDoesNotConcernScheduledSessions() {
        #expect(request(.scheduled, late: false).refusal == nil)
    }

    @Test(arguments: [SessionStatus.completed, .cancelled])
    func finishedSessionsAreClosed(status: SessionStatus) {
        #expect(request(status, held: true, still: true, role: .master).refusal == .finished(status))
        #expect(SeatRefusal.finished(status).reason.contains(status.rawValue))
    }

    @Test func onlyPlayersTakeASeat() {
        #expect(SeatRole.seatTaking == [.player])
        #expect(SeatRole.allCases.filter(\.takesASeat) == SeatRole.seatTaking)
    }
}
