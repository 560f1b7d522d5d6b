import Fluent
import Vapor

/// Sessions leave the server through `JSONWriter`: the list is what phones refresh most, and
/// `JSONEncoder` was 13 % of its time on SQLite (docs/benchmarks-history.md). `encode(to:)` stays the reference
/// the writer is tested against, and what the few other encoders of a session use.
extension SessionResponse {
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("allow_late_join")
            json.bool(allowLateJoin)
            json.key("allowed_actions")
            json.array(allowedActions) { json, action in json.string(action.rawValue) }
            json.key("can_join")
            json.bool(canJoin)
            json.key("card_values")
            json.string(cardValues)
            json.key("character_developments")
            json.optional(characterDevelopments) { json, developments in
                json.array(developments) { json, development in
                    json.object { json in
                        json.key("character_id")
                        json.uuid(development.characterId)
                        json.key("description")
                        json.string(development.description)
                    }
                }
            }
            json.key("created_at")
            json.date(createdAt)
            json.key("description")
            json.optional(description) { $0.string($1) }
            json.key("duration_minutes")
            json.optional(durationMinutes) { $0.int($1) }
            json.key("ended_at")
            json.optional(endedAt) { $0.date($1) }
            json.key("id")
            json.uuid(id)
            json.key("is_mj")
            json.bool(isMj)
            json.key("key_events")
            json.optional(keyEvents) { json, events in
                json.array(events) { json, event in
                    json.object { json in
                        json.key("event")
                        json.string(event.event)
                        json.key("timestamp")
                        json.date(event.timestamp)
                    }
                }
            }
            json.key("max_players")
            json.int(maxPlayers)
            json.key("name")
            json.string(name)
            if case .some(let notes) = notes {
                json.key("notes")
                json.optional(notes) { $0.string($1) }
            }
            json.key("online_count")
            json.int(onlineCount)
            json.key("partie_id")
            json.int(partieId)
            json.key("rsvp")
            rsvp.write(to: &json)
            json.key("scheduled_date")
            json.optional(scheduledDate) { $0.date($1) }
            json.key("seated_players")
            json.int(seatedPlayers)
            json.key("started_at")
            json.optional(startedAt) { $0.date($1) }
            json.key("status")
            json.string(status.rawValue)
            json.key("summary")
            json.optional(summary) { $0.string($1) }
            json.key("updated_at")
            json.date(updatedAt)
            json.key("voice_channel_id")
            json.optional(voiceChannelId) { $0.string($1) }
        }
    }

    func encodeResponse(for request: Request) async throws -> Response {
        var json = JSONWriter()
        write(to: &json)
        return .json(json)
    }
}

/// A page of the session list, written by `JSONWriter` as Fluent's `Page<SessionResponse>` is encoded.
struct SessionPage: AsyncResponseEncodable {
    let page: Page<SessionResponse>

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("items")
            json.array(page.items) { json, item in item.write(to: &json) }
            json.key("metadata")
            json.object { json in
                json.key("page")
                json.int(page.metadata.page)
                json.key("per")
                json.int(page.metadata.per)
                json.key("total")
                json.int(page.metadata.total)
            }
        }
    }

    func encodeResponse(for request: Request) async throws -> Response {
        var json = JSONWriter(capacity: 1024 * (page.items.count + 1))
        write(to: &json)
        return .json(json)
    }
}
