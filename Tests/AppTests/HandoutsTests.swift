import EtrangeDomain
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// Handouts: what the MJ uploads is checked by its content and cleaned, and reaches only those it
/// was shown to, on every path.
@Suite struct HandoutsTests {
    @Test(arguments: TestDatabase.enabled)
    func eachAcceptedKindIsStoredAndServedWithItsType(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            for (name, bytes, type) in [
                ("photo.png", HandoutFixtures.png, "image/png"), ("photo.jpg", HandoutFixtures.jpeg, "image/jpeg"),
                ("photo.webp", HandoutFixtures.webp, "image/webp"),
                ("lettre.pdf", HandoutFixtures.pdf, "application/pdf"),
            ] {
                let created = try await api.upload(bytes, as: table.mj, to: table.partie, filename: name)
                #expect(created.status == .created, "\(name): \(created.reason)")
                let handout = try created.decode(HandoutResponse.self)
                #expect(handout.contentType == type)
                #expect(handout.width > 0 && handout.height > 0)
                let file = try await api.send(.GET, handout.fileUrl, token: table.mj.token)
                #expect(file.status == .ok)
                #expect(file.headers.first(name: .contentType) == type)
                #expect(file.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(file.headers.first(name: .cacheControl) == "private, max-age=300")
                #expect(file.headers.first(name: "Content-Security-Policy")?.contains("sandbox") == true)
                let etag = try #require(file.headers.first(name: .eTag))
                let again = try await api.send(
                    .GET, handout.fileUrl, token: table.mj.token, headers: ["If-None-Match": etag])
                #expect(again.status == .notModified)
            }
            // A PDF is kept byte for byte: nothing in it is decoded to pixels.
            let list: [HandoutResponse] = try await api.send(
                .GET, "/api/parties/\(table.partie.id)/handouts", token: table.mj.token
            ).decode()
            let pdf = try #require(list.first { $0.kind == .pdf })
            let served = try await api.send(.GET, pdf.fileUrl, token: table.mj.token)
            #expect(served.body == HandoutFixtures.pdf)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func gpsAndExifDoNotSurviveTheUpload(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let sent = HandoutFixtures.jpegWithGPS
            #expect(sent.contains(HandoutFixtures.gpsLatitude))
            let handout: HandoutResponse = try await api.upload(sent, as: table.mj, to: table.partie).decode()
            let served = try await api.send(.GET, handout.fileUrl, token: table.mj.token).body
            #expect(!served.isEmpty)
            #expect(!served.contains(HandoutFixtures.gpsLatitude))
            #expect(!served.contains(Data("Exif".utf8)))
            #expect((handout.width, handout.height) == (24, 16))
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func whatIsNotAnAcceptedFileIsRefusedAndLeavesNothing(db: TestDatabase) async throws {
        try await withTable(db, configure: { $0.handoutLimits.maxBytes = 64 * 1024 }) { api, table in
            let elf = Data([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0]) + Data(repeating: 0x90, count: 512)
            let cases: [(String, Data, HTTPStatus)] = [
                // An executable renamed, with the type it claims: the bytes say otherwise.
                ("an executable named photo.jpg", elf, .badRequest),
                ("a truncated JPEG", HandoutFixtures.jpeg.prefix(400), .badRequest),
                ("PNG magic before an HTML page", HandoutFixtures.pngMagicThenHTML, .badRequest),
                (
                    "an HTML page that says %PDF-", Data("%PDF-1.4\n<html><script>alert(1)</script></html>".utf8),
                    .badRequest
                ),
                ("an empty file", Data(), .badRequest),
                ("a file over the limit", Data(repeating: 0xFF, count: 65 * 1024), .payloadTooLarge),
            ]
            for (what, bytes, status) in cases {
                let response = try await api.upload(bytes, as: table.mj, to: table.partie, filename: "photo.jpg")
                #expect(response.status == status, "\(what): \(response.status) \(response.text)")
                #expect(response.error?.reason.isEmpty == false, "\(what) gives a reason")
            }
            let list = try await api.send(.GET, "/api/parties/\(table.partie.id)/handouts", token: table.mj.token)
            #expect(list.text == "[]")
            #expect(try await HandoutFixtures.storedFiles(api) == 0)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aPolyglotComesBackAsAPictureOnly(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            // A real PNG with a script after its end: browsers sniffing it could run the script;
            // the stored file is a new encoding of the pixels, with nothing after them.
            let script = Data("<script>alert(document.cookie)</script>".utf8)
            let handout: HandoutResponse = try await api.upload(
                HandoutFixtures.png + script, as: table.mj, to: table.partie
            ).decode()
            let served = try await api.send(.GET, handout.fileUrl, token: table.mj.token).body
            #expect(!served.contains(script))
            #expect(HandoutKind(sniffing: served) == .png)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aHandoutReachesOnlyThoseItWasShownTo(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let other = try await api.register("berthe")
            try await api.join(other, table.partie)
            let handouts = "/api/parties/\(table.partie.id)/handouts"
            let handout: HandoutResponse = try await api.upload(HandoutFixtures.png, as: table.mj, to: table.partie)
                .decode()
            func sees(_ user: TestUser) async throws -> (list: Bool, file: HTTPStatus) {
                let list: [HandoutResponse] = try await api.send(.GET, handouts, token: user.token).decode()
                let file = try await api.send(.GET, handout.fileUrl, token: user.token)
                return (list.contains { $0.id == handout.id }, file.status)
            }
            // Not shown yet: the MJ's alone.
            var player = try await sees(table.player)
            #expect(player.list == false && player.file == .notFound)

            let chosen = try await api.send(
                .POST, "/api/handouts/\(handout.id)/show", token: table.mj.token,
                json: ["user_ids": [table.player.id]])
            #expect(chosen.status == .ok, "\(chosen.reason)")
            player = try await sees(table.player)
            #expect(player.list && player.file == .ok)
            let berthe = try await sees(other)
            #expect(berthe.list == false && berthe.file == .notFound)
            // A player is not told who else was shown it.
            let asPlayer: [HandoutResponse] = try await api.send(.GET, handouts, token: table.player.token).decode()
            #expect(asPlayer.first?.shownTo == nil)

            let outsider = try await api.send(.GET, handout.fileUrl, token: table.outsider.token)
            #expect(outsider.status == .notFound)
            let outsiderList = try await api.send(.GET, handouts, token: table.outsider.token)
            #expect(outsiderList.status == .notFound)
            let anonymous = try await api.send(.GET, handout.fileUrl)
            #expect(anonymous.status == .unauthorized)

            // Players cannot hand out, show, hide or delete.
            let upload = try await api.upload(HandoutFixtures.png, as: table.player, to: table.partie)
            #expect(upload.status == .forbidden)
            for (method, path) in [
                (HTTPMethod.POST, "/api/handouts/\(handout.id)/hide"), (.DELETE, "/api/handouts/\(handout.id)"),
            ] {
                let response = try await api.send(method, path, token: table.player.token)
                #expect(response.status == .forbidden, "\(method) \(path)")
            }
            let showByPlayer = try await api.send(
                .POST, "/api/handouts/\(handout.id)/show", token: table.player.token, json: ["everyone": true])
            #expect(showByPlayer.status == .forbidden)

            // Shown to everyone: a member who joins later sees it too.
            let everyone = try await api.send(
                .POST, "/api/handouts/\(handout.id)/show", token: table.mj.token, json: ["everyone": true])
            #expect(everyone.status == .ok)
            let late = try await api.register("lucien")
            try await api.join(late, table.partie)
            #expect(try await sees(late).file == .ok)
            #expect(try await sees(other).file == .ok)

            let hidden = try await api.send(.POST, "/api/handouts/\(handout.id)/hide", token: table.mj.token)
            #expect(hidden.status == .ok)
            #expect(try await sees(late).file == .notFound)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func choosingSomeoneOutsideThePartieIsRefused(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let handout: HandoutResponse = try await api.upload(HandoutFixtures.png, as: table.mj, to: table.partie)
                .decode()
            for body: [String: Any] in [
                ["user_ids": [table.outsider.id]], ["user_ids": [table.mj.id]], ["user_ids": []], [:],
                ["everyone": true, "user_ids": [table.player.id]],
            ] {
                let response = try await api.send(
                    .POST, "/api/handouts/\(handout.id)/show", token: table.mj.token, json: body)
                #expect(response.status == .badRequest, "\(body): \(response.status)")
            }
            #expect(try await api.send(.GET, handout.fileUrl, token: table.player.token).status == .notFound)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func aHandoutShownDuringASessionArrivesLiveOnlyToItsPlayers(db: TestDatabase) async throws {
        try await withSession(db) { api, table, session in
            let other = try await api.register("berthe")
            try await api.join(other, table.partie)
            for (player, name) in [(table.player, "Armand"), (other, "Berthe")] {
                let character = try await api.createCharacter(player, name: name, partieID: table.partie.id)
                let joined = try await api.joinSession(session, player, character: character)
                try #require(joined.status == .ok, "\(joined.reason)")
            }
            let armand = try await LiveClient.connect(api, session: session.id, token: table.player.token)
            let berthe = try await LiveClient.connect(api, session: session.id, token: other.token)
            let secret: HandoutResponse = try await api.upload(HandoutFixtures.png, as: table.mj, to: table.partie)
                .decode()
            let open: HandoutResponse = try await api.upload(HandoutFixtures.jpeg, as: table.mj, to: table.partie)
                .decode()
            _ = try await api.send(
                .POST, "/api/handouts/\(secret.id)/show", token: table.mj.token, json: ["user_ids": [table.player.id]])
            _ = try await api.send(
                .POST, "/api/handouts/\(open.id)/show", token: table.mj.token, json: ["everyone": true])
            let shown: @Sendable ([LiveClient.Message]) -> Bool = { messages in
                messages.contains { $0.type == "handout.shown" && $0.text.contains(open.id.uuidString) }
            }
            try await armand.waitFor("the open handout", shown)
            try await berthe.waitFor("the open handout", shown)
            // The journal is in order: Berthe got the later event, so she would have got the first.
            #expect(armand.events.contains { $0.text.contains(secret.id.uuidString) })
            #expect(!berthe.received.contains { $0.text.contains(secret.id.uuidString) })
            try await armand.close()
            try await berthe.close()
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func deletingAHandoutRemovesItsBytes(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let handout: HandoutResponse = try await api.upload(HandoutFixtures.png, as: table.mj, to: table.partie)
                .decode()
            #expect(try await HandoutFixtures.storedFiles(api) == 1)
            let deleted = try await api.send(.DELETE, "/api/handouts/\(handout.id)", token: table.mj.token)
            #expect(deleted.status == .noContent)
            #expect(try await HandoutFixtures.storedFiles(api) == 0)
            #expect(try await api.send(.GET, handout.fileUrl, token: table.mj.token).status == .notFound)
        }
    }

    @Test(arguments: TestDatabase.enabled)
    func theUploadWantsAFormAndATitle(db: TestDatabase) async throws {
        try await withTable(db) { api, table in
            let json = try await api.send(
                .POST, "/api/parties/\(table.partie.id)/handouts", token: table.mj.token, json: ["title": "x"])
            #expect(json.status == .unsupportedMediaType)
            let untitled = try await api.upload(HandoutFixtures.png, as: table.mj, to: table.partie, title: "  ")
            #expect(untitled.status == .badRequest)
            #expect(untitled.error?.field == "title")
        }
    }
}

extension TestAPI {
    /// `multipart/form-data`, as a browser's form sends it.
    func upload(
        _ bytes: Data, as user: TestUser, to partie: PartieResponse, filename: String = "photo.png",
        title: String = "Coupure de journal", caption: String? = "Le Petit Parisien, 1989"
    ) async throws -> APIResponse {
        let boundary = "----etrange\(UUID().uuidString)"
        var body = Data()
        func field(_ name: String, _ value: String) {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        field("title", title)
        if let caption { field("caption", caption) }
        body += Data(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: image/jpeg\r\n\r\n"
                .utf8)
        body += bytes
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        var headers = HTTPHeaders()
        headers.bearerAuthorization = .init(token: user.token)
        headers.replaceOrAdd(name: .contentType, value: "multipart/form-data; boundary=\(boundary)")
        let response = try await app.client.send(
            .POST, headers: headers, to: URI(string: base + "/api/parties/\(partie.id)/handouts")
        ) { request in request.body = ByteBuffer(data: body) }
        return APIResponse(
            status: response.status, headers: response.headers,
            body: response.body.map { Data($0.readableBytesView) } ?? Data())
    }
}

/// Small real files, made with libvips's command line (`vips gaussnoise`, then `jpegsave`,
/// `pngsave`, `webpsave` with `--strip`), and the PDF and EXIF block written out by hand.
enum HandoutFixtures {
    static let jpeg = Data(
        base64Encoded:
            "/9j/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAQABgDAREAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwCkun6fq1pZ6gZBc6y0Cx2dxDJGsMDsimOTygA2VKJJgR/MAdxG5tgBPOsWq3lwbxrR7W8VbiO6vpYQkZMCPHgBsysSUzkssYKAZHLAE9g1pe6oIZ4mLRoJYWXKA+XHGrxBW+X77AvEBjmJjkl2oAhvUW71KKyWws4VnVIIo43CzhZFdmJWFiGEkTBslj8rooAI3OAXReWqzTwwKLhJXiaaa6hRHtpHEuWKMgAcCSQ4c4DHAb+FADMtrbTzbxQW32u4MIhkw9nIEjuFK5ZlypKqV84KgDbgTyz5YA//2Q=="
    )!
    static let png = Data(
        base64Encoded:
            "iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAIAAACDRijCAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAC+0lEQVQ4jSXUNU90YRAF4Pt76Cgo6AghWAgW3F0+XIIs7izu7hJcghRUFHSEH/U9sLfY3PvOmZkz58y7QVtb29jY2NDQUG9vb0pKSk5OTm5u7tbW1uHh4eXlZWFh4eDgoGh7e3taWlpJSYmXkZGR4+NjWZAzMzM+u7q6guXl5a+vr9bW1vLy8tjYWGHJKysre3t7fX19cCcnJ93d3aA9PT2Tk5Pj4+Nvb28xMTHyd3d3s7OzGxoarq6uAvn19fUtLS0LCwtVVVUTExO4xMfHT09PS0MhMTFxe3v74uLi4OCgo6NjYGBgdnZ2Z2dHm8fHx87OTj3C4XDgTZP19XXh+/v7qampn5+fuLg4CWdnZ8nJyWtraxsbGz4l1NXVNTU1Oc/Ly1tcXAyFQkhRACDIyMiQrJzyt7e3TvPz832iYCICra6uGrasrOzl5aW/v39+fn5paUmWcs3NzUoYBY+ArtARXU1bXFyMGoH0FGJFRUUFUeXgq4TpROfm5mhvIsIRSOPAt7A+19fXdJVcW1urFi1RgAB9eno6PT3lwNHRkdLG5GNpaWlBQcHd3R1G0oOkpCTWYA5BLLwElE5ISEATHTOiSZ3GxkZucPnf3/P8/MyH4eFh7PQIcIZAmCLso6URbBP+LFO6urpajgbYURcmKyuLKPCI4B4VFYVpoBgK7+/vTvlSWVlJ0chOMhjCFDc3Nyb9/PwErqmpcWjj7CQS9kYDyN9CHiwY8fr6CkQCJ8K0zMzMtPH7+/u8YxCORUVFob+H/aprvLm5iX5g62icnp6OkXBkXwhMOGvx8fFBOwA7GZGDsw8PDwBklWKPwAgdnJ+fS8YzOjra/IiARjhqZS68COcOUdqiaWb1qRb+exQlxa/YtHRX3QwU8DezgQVUZ7nMSOfR0VHX1U30TmlgMnPJi+0HC9wgpJTQHE8yM1jYfvnlunPJ6LgrtLA7HMSRGpF/BaO5sIGG39/fqamptHBqcTQ3F9XJbEzq0kjRCFnjOOeXFxfbOYJ8/w/06jiKbOEzdAAAAABJRU5ErkJggg=="
    )!
    static let webp = Data(
        base64Encoded:
            "UklGRr4BAABXRUJQVlA4WAoAAAAIAAAAFwAADwAAVlA4IN4AAAAwBgCdASoYABAAPpE4l0eloyIhMAgAsBIJaQAOcDcBi5uap6H9gDyVfW75AA+ovGV2dDwENzXLkngAAONkYPZopIz0Qm7y3xAV5G8jPEat3a30BXs2gPnHa0/u1kIqRd/zAqQavNCibKrTyde6FHLt0yhFraGHxonZ+quTvenGs4UP3F6kaRP0OnURLj1Wql3pvQSdKuF/EnRvWGVvN9iv1ZPxrr9+G8r/L6cTSXXdkXbdLNwW9mkz9mWDipWTfcB9ZMinm6lmJ1yDKbOlVjqVWyfDe61DyB0Il4RgAABFWElGugAAAEV4aWYAAElJKgAIAAAABgASAQMAAQAAAAEAAAAaAQUAAQAAAFYAAAAbAQUAAQAAAF4AAAAoAQMAAQAAAAIAAAATAgMAAQAAAAEAAABphwQAAQAAAGYAAAAAAAAAOGMAAOgDAAA4YwAA6AMAAAYAAJAHAAQAAAAwMjEwAZEHAAQAAAABAgMAAKAHAAQAAAAwMTAwAaADAAEAAAD//wAAAqAEAAEAAAAYAAAAA6AEAAEAAAAQAAAAAAAAAA=="
    )!
    /// One page of 300 × 200 points, the least a PDF reader opens.
    static let pdf = Data(
        """
        %PDF-1.4
        1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj \
        3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]>>endobj
        trailer<</Root 1 0 R>>
        %%EOF

        """.utf8)

    /// GPSLatitude 48° 51′ 24.13″ (Paris) as EXIF writes it: three big-endian rationals.
    static let gpsLatitude = Data([0, 0, 0, 48, 0, 0, 0, 1, 0, 0, 0, 51, 0, 0, 0, 1, 0, 0, 0x09, 0x6D, 0, 0, 0, 100])

    /// `jpeg` with an APP1 EXIF segment holding a GPS IFD (latitude reference and latitude).
    static var jpegWithGPS: Data {
        func be16(_ value: Int) -> Data { Data([UInt8(value >> 8), UInt8(value & 0xFF)]) }
        func be32(_ value: Int) -> Data { be16(value >> 16) + be16(value & 0xFFFF) }
        var tiff = Data("MM".utf8) + be16(42) + be32(8)
        // IFD0: one entry, the GPS IFD's offset (26).
        tiff += be16(1) + be16(0x8825) + be16(4) + be32(1) + be32(26) + be32(0)
        // GPS IFD: GPSLatitudeRef "N", GPSLatitude (three rationals at offset 56).
        tiff += be16(2) + be16(1) + be16(2) + be32(2) + Data("N\0\0\0".utf8)
        tiff += be16(2) + be16(5) + be32(3) + be32(56) + be32(0)
        tiff += gpsLatitude
        let segment = Data([0xFF, 0xE1]) + be16(2 + 6 + tiff.count) + Data("Exif\0\0".utf8) + tiff
        return jpeg.prefix(2) + segment + jpeg.dropFirst(2)
    }

    /// PNG's signature and then a web page: the first bytes claim a picture that is not there.
    static let pngMagicThenHTML = png.prefix(8) + Data("<html><script>alert(1)</script></html>".utf8)

    /// Handouts' bytes the server keeps: files on SQLite, rows on PostgreSQL.
    static func storedFiles(_ api: TestAPI) async throws -> Int {
        switch api.app.handoutStorage {
        case .folder(let folder):
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.count
        case .database:
            struct Row: Decodable { let count: Int }
            return try await api.db.sql.raw("SELECT COUNT(*) AS count FROM handout_contents").first(decoding: Row.self)?
                .count ?? 0
        }
    }
}
