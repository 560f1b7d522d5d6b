import Foundation

/// How long the author of a chat line may take it back.
public enum ChatLine {
    /// How long an author may correct or delete their own line. Afterwards it belongs to the
    /// table's record: only the MJ may still remove it.
    public static let correctionWindow: TimeInterval = 5 * 60

    /// Whether a line written at `createdAt` may still be corrected or deleted by its author.
    public static func correctable(writtenAt createdAt: Date, at now: Date) -> Bool {
        now.timeIntervalSince(createdAt) <= correctionWindow
    }
}
