import EtrangeDomain
import Foundation
import Testing

/// Who a full session's freed seats go to (#26 point 5), in the list's strict order.
@Suite struct WaitingListTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theFirstOnlineIsSeatedAtOnce() {
        let queue = [Waiter(userID: 1, online: true), Waiter(userID: 2, online: true)]
        #expect(WaitingList.allocate(queue, freeSeats: 1, at: now) == SeatAllocation(seated: [1]))
    }

    @Test func theFirstAwayIsOfferedTheSeatAndNobodyJumpsTheLine() {
        let queue = [Waiter(userID: 1, online: false), Waiter(userID: 2, online: true)]
        #expect(WaitingList.allocate(queue, freeSeats: 1, at: now) == SeatAllocation(offered: [1]))
        #expect(WaitingList.allocate(queue, freeSeats: 2, at: now) == SeatAllocation(seated: [2], offered: [1]))
    }

    @Test func aSeatHeldByARunningOfferIsNotFree() {
        let held = Waiter(userID: 1, online: false, offeredUntil: now.addingTimeInterval(60))
        let queue = [held, Waiter(userID: 2, online: true)]
        #expect(WaitingList.allocate(queue, freeSeats: 1, at: now) == SeatAllocation())
        #expect(WaitingList.allocate(queue, freeSeats: 2, at: now) == SeatAllocation(seated: [2]))
    }

    @Test func noSeatsNoOneMoves() {
        #expect(WaitingList.allocate([Waiter(userID: 1, online: true)], freeSeats: 0, at: now) == SeatAllocation())
        #expect(WaitingList.allocate([], freeSeats: 3, at: now) == SeatAllocation())
    }
}
