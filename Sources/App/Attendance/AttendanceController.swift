import EtrangeDomain
import Fluent
import Foundation
import Vapor

/// `GET /api/parties/{id}/attendance`: who came to which evening, and for how long.
struct AttendanceController: RouteCollection {
    /// The sessions that were played: a scheduled or cancelled one had nobody to attend it.
    static let played: [SessionStatus] = [.completed, .active, .paused]

    func boot(routes: any RoutesBuilder) throws {
        routes.grouped(TokenAuthMiddleware()).get("api", "parties", ":id", "attendance", use: attendance)
    }

    func attendance(req: Request) async throws -> AttendanceResponse {
        let partie = try await Partie.visible(req.intParameter(), to: req.caller, on: req.db)
        return try await Self.report(partieID: partie.id, mjID: partie.partie.$mj.id, on: req.db, now: req.now)
    }

    static func report(partieID: Int, mjID: Int, on db: any Database, now: Date) async throws -> AttendanceResponse {
        let sessions = try await Session.query(on: db)
            .filter(\.$partie.$id == partieID)
            .filter(\.$status ~~ played)
            .sort(\.$startedAt).sort(\.$createdAt)
            .all()
        let ids = try sessions.map { try $0.requireID() }
        let seats = ids.isEmpty ? [] : try await SessionParticipant.query(on: db).filter(\.$session.$id ~~ ids).all()
        let members = try await PartieMember.query(on: db).filter(\.$partie.$id == partieID).with(\.$user).all()
        let answers = ids.isEmpty ? [] : try await SessionRSVP.query(on: db).filter(\.$session.$id ~~ ids).all()
        var rsvp: [UUID: [Int: Availability]] = [:]
        for answer in answers { rsvp[answer.$session.id, default: [:]][answer.$user.id] = answer.answer }

        var minutes: [UUID: [Int: Int]] = [:]
        for seat in seats {
            minutes[seat.$session.id, default: [:]][seat.$user.id] = seat.playedTime.minutes(at: now)
        }
        let sessionLines = try sessions.map { session in
            let id = try session.requireID()
            let attendees = seats.filter { $0.$session.id == id }
                .sorted { $0.joinedAt < $1.joinedAt }
                .map {
                    AttendanceResponse.SessionLine.Attendee(
                        userId: $0.$user.id, minutesPlayed: minutes[id]?[$0.$user.id] ?? 0, role: $0.role)
                }
            return AttendanceResponse.SessionLine(
                sessionId: id, name: session.name, status: session.status, startedAt: session.startedAt,
                endedAt: session.endedAt,
                durationMinutes: SessionDuration.minutes(
                    status: session.status, recorded: session.durationMinutes,
                    activeTime: session.activeTime, at: now),
                attendees: attendees,
                rsvps: members.compactMap { member in
                    rsvp[id]?[member.$user.id].map {
                        AttendanceResponse.SessionLine.Answer(userId: member.$user.id, answer: $0)
                    }
                })
        }
        let playerLines =
            try members
            .sorted { ($0.user.id == mjID ? 0 : 1, $0.joinedAt) < ($1.user.id == mjID ? 0 : 1, $1.joinedAt) }
            .map { member in
                let userID = try member.user.requireID()
                let cells = try sessions.map { session in
                    let id = try session.requireID()
                    let answer = rsvp[id]?[userID]
                    if let played = minutes[id]?[userID] {
                        return AttendanceResponse.PlayerLine.Cell(
                            sessionId: id, status: .attended, minutesPlayed: played, rsvp: answer)
                    }
                    let began = session.startedAt ?? session.createdAt
                    let status: AttendanceResponse.CellStatus =
                        member.joinedAt > began ? .notMember : session.status.isRunning ? .notYet : .missed
                    return AttendanceResponse.PlayerLine.Cell(
                        sessionId: id, status: status, minutesPlayed: 0, rsvp: answer)
                }
                return AttendanceResponse.PlayerLine(
                    userId: userID, username: member.user.username, displayName: member.user.displayName,
                    isMj: userID == mjID,
                    attended: cells.filter { $0.status == .attended }.count,
                    missed: cells.filter { $0.status == .missed }.count,
                    minutesPlayed: cells.reduce(0) { $0 + $1.minutesPlayed },
                    sessions: cells)
            }
        return AttendanceResponse(partieId: partieID, sessions: sessionLines, players: playerLines)
    }
}
