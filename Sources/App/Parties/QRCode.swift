import CQRencode
import Foundation

/// QR codes drawn by libqrencode, rendered as SVG.
enum QRCode {
    struct EncodingFailed: Error {}

    /// An SVG of `text` with the four-module quiet zone the standard asks for; `moduleSize` pixels
    /// a module keeps it scannable from a laptop screen across a table.
    static func svg(for text: String, moduleSize: Int = 10) throws -> String {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else {
            throw EncodingFailed()
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let quiet = 4
        let side = (width + 2 * quiet) * moduleSize
        var path = ""
        for y in 0..<width {
            var x = 0
            while x < width {
                // Runs of dark modules become one rectangle each, which keeps the file small.
                guard code.pointee.data[y * width + x] & 1 == 1 else {
                    x += 1
                    continue
                }
                let start = x
                while x < width, code.pointee.data[y * width + x] & 1 == 1 { x += 1 }
                path += "M\(start + quiet) \(y + quiet)h\(x - start)v1h-\(x - start)z"
            }
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(side)" height="\(side)" viewBox="0 0 \(width + 2 * quiet) \(width + 2 * quiet)" shape-rendering="crispEdges">
            <rect width="100%" height="100%" fill="#ffffff"/>
            <path fill="#000000" d="\(path)"/>
            </svg>
            """
    }
}
