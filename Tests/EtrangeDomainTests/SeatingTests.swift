import EtrangeDomain
import Testing

@Suite struct SeatingTests {
    func request(_ status: SessionStatus = .active, late: Bool = true, max: Int = 4, seated: Int = 0,
                 held: Bool = false, still: Bool = false, role: SeatRole = .player) -> SeatRequest {
        SeatRequest(status: status, allowLateJoin: late, maxPlayers: max, seatedPlayers: seated,
                    heldASeat: held, stillSeated: still, role: role)
    }

    @Test func aFreeSeatIsTaken() {
        #expect((try? request(seated: 3).decide().get()) != nil)
    }

    @Test func theLastSeatIsTheLast() {
        #expect(request(seated: 4).decide() == .failure(.full(maxPlayers: 4)))
    }

    @Test func reconnectingNeedsNoFreeSeat() {
        #expect((try? request(seated: 4, held: true, still: true).decide().get()) != nil)
    }

    @Test func observersAndTheMasterDoNotCount() {
        #expect((try? request(seated: 4, role: .observer).decide().get()) != nil)
        #expect((try? request(late: false, seated: 4, role: .master).decide().get()) != nil)
    }

    @Test(arguments: [SessionStatus.active, .paused])
    func lateJoinRefusedToNewcomers(status: SessionStatus) {
        #expect(request(status, late: false).decide() == .failure(.lateJoinClosed))
        #expect((try? request(status, late: false, held: true).decide().get()) != nil)
    }

    @Test func lateJoinDoesNotConcernScheduledSessions() {
        #expect((try? request(.scheduled, late: false).decide().get()) != nil)
    }

    @Test(arguments: [SessionStatus.completed, .cancelled])
    func finishedSessionsAreClosed(status: SessionStatus) {
        #expect(request(status, held: true, still: true, role: .master).decide() == .failure(.finished(status)))
        #expect(SeatRefusal.finished(status).reason.contains(status.rawValue))
    }
}
