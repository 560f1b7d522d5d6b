import EtrangeDomain
import Foundation

/// A session's account in Markdown, in French, for one reader: the MJ's notes and the MJ's
/// secret draws are written only when `forMJ`.
struct Recap {
    struct Seat {
        let name: String
        let character: String?
        let role: SeatRole
        let minutes: Int
    }

    struct Draw {
        let at: Date
        let who: String
        let line: String
        let reason: String?
        let secret: Bool
    }

    let session: Session
    let partieName: String
    let seats: [Seat]
    let draws: [Draw]
    /// The announcements and the private lines this reader may see, oldest first.
    let lines: [MessageResponse]
    let characterNames: [UUID: String]
    let forMJ: Bool
    let timeZone: TimeZone
    let now: Date

    /// The account under a heading of `level` (1 for a file of its own, 2 inside the campaign log).
    func markdown(level: Int = 1) -> String {
        let h = String(repeating: "#", count: level)
        var out = "\(h) \(Markdown.inline(session.name))\n\n"
        var facts = ["Partie « \(Markdown.inline(partieName)) »", "session \(session.status.label)"]
        if let started = session.startedAt {
            facts.append("jouée le \(French.dateTime(started, timeZone))")
        } else if let scheduled = session.scheduledDate {
            facts.append("prévue le \(French.dateTime(scheduled, timeZone))")
        }
        out += "*" + facts.joined(separator: " — ") + "*\n\n"
        if session.startedAt != nil,
            let minutes = SessionDuration.minutes(
                status: session.status, recorded: session.durationMinutes, activeTime: session.activeTime, at: now)
        {
            out += "Durée de jeu : \(French.duration(minutes)).\n\n"
        }

        out += "\(h)# Résumé\n\n"
        out += (session.summary?.isEmpty == false ? session.summary! : "*Pas de résumé.*") + "\n\n"

        let events = (session.keyEvents?.items ?? []).sorted { $0.timestamp < $1.timestamp }
        if !events.isEmpty {
            out += "\(h)# Moments clés\n\n"
            for event in events {
                out += "- **\(French.time(event.timestamp, timeZone))** — \(Markdown.inline(event.event))\n"
            }
            out += "\n"
        }

        let developments = session.characterDevelopments?.items ?? []
        if !developments.isEmpty {
            out += "\(h)# Évolution des personnages\n\n"
            for development in developments {
                let name = characterNames[development.characterId] ?? "Personnage disparu"
                out += "- **\(Markdown.inline(name))** : \(Markdown.inline(development.description))\n"
            }
            out += "\n"
        }

        if !seats.isEmpty {
            out += "\(h)# Participants\n\n| Joueur | Personnage | Rôle | Temps de jeu |\n|---|---|---|---|\n"
            for seat in seats {
                out +=
                    "| \(Markdown.cell(seat.name)) | \(Markdown.cell(seat.character ?? "—")) | \(French.role(seat.role)) | \(French.duration(seat.minutes)) |\n"
            }
            out += "\n"
        }

        let shown = draws.filter { forMJ || !$0.secret }
        if !shown.isEmpty {
            out += "\(h)# Tirages\n\n"
            for draw in shown {
                var line = "- \(French.time(draw.at, timeZone)) — \(Markdown.inline(draw.line))"
                if let reason = draw.reason, !reason.isEmpty { line += " (\(Markdown.inline(reason)))" }
                if draw.secret { line += " *[secret, MJ]*" }
                out += line + "\n"
            }
            out += "\n"
        }

        let announcements = lines.filter { $0.scope == .announcement }
        if !announcements.isEmpty {
            out += "\(h)# Annonces du MJ\n\n"
            for line in announcements {
                out += "- \(French.time(line.createdAt, timeZone)) — \(Markdown.inline(line.body))\n"
            }
            out += "\n"
        }

        let whispers = lines.filter { $0.scope == .private }
        if !whispers.isEmpty {
            out += "\(h)# Messages privés\n\n"
            for line in whispers {
                let from = line.displayName ?? line.username ?? "?"
                let to =
                    line.recipients.isEmpty
                    ? "au MJ" : "à " + line.recipients.map { $0.displayName ?? $0.username }.joined(separator: ", ")
                out +=
                    "- \(French.time(line.createdAt, timeZone)) — **\(Markdown.inline(from))**, en privé \(Markdown.inline(to)) : \(Markdown.inline(line.body))\n"
            }
            out += "\n"
        }

        if forMJ, let notes = session.notes, !notes.isEmpty {
            out += "\(h)# Notes du MJ (privées)\n\n\(notes)\n\n"
        }
        return out
    }
}

enum Markdown {
    /// Escapes what would turn a name into markup: a player called `*Zoé*` stays as typed. Every
    /// line break (`\r`, `\r\n`, U+2028…) becomes a space, since a value that could start a line of
    /// its own could also write a heading of the MJ's into everyone's export.
    static func inline(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\`*_[]<>#|".contains(character) { out.append("\\") }
            out.append(character.isNewline ? " " : character)
        }
        return out
    }

    static func cell(_ text: String) -> String { inline(text) }
}

enum French {
    private static let locale = Locale(identifier: "fr_FR")

    /// « lundi 20 janvier 2025 à 21:00 (Europe/Paris) »: the zone is named, since a file travels.
    static func dateTime(_ date: Date, _ zone: TimeZone) -> String {
        date.formatted(Date.FormatStyle(date: .complete, time: .shortened, locale: locale, timeZone: zone))
            + " (\(zone.identifier))"
    }

    static func time(_ date: Date, _ zone: TimeZone) -> String {
        date.formatted(Date.FormatStyle(date: .omitted, time: .shortened, locale: locale, timeZone: zone))
    }

    static func duration(_ minutes: Int) -> String {
        minutes < 60 ? "\(minutes) min" : String(format: "%d h %02d", minutes / 60, minutes % 60)
    }

    static func role(_ role: SeatRole) -> String {
        switch role {
        case .master: "MJ"
        case .player: "joueur"
        case .observer: "observateur"
        }
    }
}
