import EtrangeDomain
import Testing

@Suite struct SessionStatusTests {
    /// The full table of the issue, written out by hand so the code cannot agree with itself.
    static let allowed: [SessionStatus: [SessionAction: SessionStatus]] = [
        .scheduled: [.start: .active, .cancel: .cancelled],
        .active: [.pause: .paused, .end: .completed, .cancel: .cancelled],
        .paused: [.resume: .active, .end: .completed, .cancel: .cancelled],
        .completed: [:],
        .cancelled: [:],
    ]

    @Test(arguments: SessionStatus.allCases, SessionAction.allCases)
    func everyMove(status: SessionStatus, action: SessionAction) {
        switch (status.applying(action), Self.allowed[status]?[action]) {
        case (.success(let next), let expected?):
            #expect(next == expected)
        case (.failure(let refusal), nil):
            #expect(refusal.current == status)
            #expect(refusal.reason.contains(status.rawValue))
            for move in Self.allowed[status]!.keys {
                #expect(refusal.reason.contains(move.rawValue))
            }
        case (let result, let expected):
            Issue.record("\(status) + \(action): got \(result), expected \(String(describing: expected))")
        }
    }

    @Test func finalStatesOfferNothing() {
        #expect(SessionStatus.completed.allowedActions.isEmpty)
        #expect(SessionStatus.cancelled.allowedActions.isEmpty)
        #expect(SessionStatus.completed.isFinal && SessionStatus.cancelled.isFinal)
        #expect(!SessionStatus.paused.isFinal)
    }

    @Test func runningStates() {
        #expect(SessionStatus.allCases.filter(\.isRunning) == [.active, .paused])
    }
}
