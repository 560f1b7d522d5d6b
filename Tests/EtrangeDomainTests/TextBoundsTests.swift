import EtrangeDomain
import Testing

@Suite struct TextBoundsTests {
    let chat = TextBounds(characters: 1...2000)

    @Test func ordinaryTextPasses() {
        #expect(chat.violation(in: "Armand tire une carte : la dame de cœur ! 🎴") == nil)
        #expect(chat.violation(in: String(repeating: "é", count: 2000)) == nil)
    }

    @Test func oneLetterWithThirtyThousandAccentsIsOneCharacterButTooManyBytes() {
        let zalgo = "a" + String(repeating: "\u{301}", count: 30_000)
        #expect(zalgo.count == 1)
        #expect(chat.violation(in: zalgo) == .tooManyBytes(8000))
    }

    @Test func stackedAccentsAreCappedPerCharacter() {
        #expect(chat.violation(in: "e\u{301}\u{302}\u{303}\u{304}") == nil)
        #expect(chat.violation(in: "e\u{301}\u{302}\u{303}\u{304}\u{305}") == .tooManyMarks(4))
        // An emoji keycap carries a variation selector and an enclosing mark: two, not a problem.
        #expect(chat.violation(in: "1\u{FE0F}\u{20E3}") == nil)
    }

    @Test func columnsSizedInScalarsAreRespected() {
        let name = TextBounds(characters: 1...100, scalars: 100)
        // Decomposed « é » is two scalars: 60 of them are 120, more than VARCHAR(100) holds.
        #expect(name.violation(in: String(repeating: "e\u{301}", count: 60)) == .tooManyScalars(100))
        #expect(name.violation(in: String(repeating: "é", count: 100)) == nil)
    }

    @Test func lengthsAndControls() {
        let bounds = TextBounds(characters: 3...5)
        #expect(bounds.violation(in: "ab") == .tooShort(3))
        #expect(bounds.violation(in: "abcdef") == .tooLong(5))
        #expect(bounds.violation(in: "a\u{0}c") == .control)
        #expect(bounds.violation(in: "a\nc") == nil)
    }

    @Test func bidiControlsAreRemoved() {
        #expect(TextBounds.removingBidiControls("\u{202E}evil\u{202C} \u{2066}x\u{2069}\u{200F}") == "evil x")
        #expect(TextBounds.removingBidiControls("Marianne") == "Marianne")
    }
}

@Suite struct UsernameTests {
    @Test func cyrillicAndGreekLookalikesShareTheLatinSkeleton() {
        #expect(Username.skeleton("mjа") == Username.skeleton("mja"))
        #expect(Username.skeleton("ΑRΜΑΝD") == Username.skeleton("armand"))
        #expect(Username.skeleton("аrmаnd") == "armand")
        #expect(Username.skeleton("pаypаl") == Username.skeleton("paypal"))
    }

    @Test func caseAccentsWidthAndCommonTricksFold() {
        #expect(Username.skeleton("Élise") == Username.skeleton("elise"))
        #expect(Username.skeleton("ｍｊａ") == "mja")
        #expect(Username.skeleton("m0rgane") == Username.skeleton("morgane"))
        #expect(Username.skeleton("AIice") == Username.skeleton("Alice"))
        #expect(Username.skeleton("rnarianne") == Username.skeleton("marianne"))
        #expect(Username.skeleton("armand") != Username.skeleton("arnaud"))
    }

    @Test func normalizationComposesCompatibilityForms() {
        #expect(Username.normalized("  ｍｊａ ") == "mja")
        #expect(Username.normalized("e\u{301}lise") == "élise")
        #expect(Username.normalized("ﬁlou") == "filou")
    }

    @Test func oneScriptPerName() {
        #expect(Username.refusal("mja") == nil)
        #expect(Username.refusal("Маша") == nil)
        #expect(Username.refusal("Ἀλέξανδρος") == nil)
        #expect(Username.refusal("mjа") == .mixedScripts(["Cyrillic", "Latin"]))
        #expect(Username.refusal("abcαβγ") == .mixedScripts(["Greek", "Latin"]))
        #expect(Username.refusal("山田たろう") == nil)
        #expect(Username.refusal("joueur_42") == nil)
    }

    @Test func boundsAndCharacters() {
        #expect(Username.refusal("ab") == .bounds(.tooShort(3)))
        #expect(Username.refusal("a" + String(repeating: "\u{301}", count: 5000) + "bc") == .bounds(.tooManyBytes(128)))
        #expect(Username.refusal("abc" + String(repeating: "\u{301}", count: 5)) == .bounds(.tooManyMarks(4)))
        #expect(Username.refusal("a b c") == .characters)
        #expect(Username.refusal("abc\u{202E}") == .characters)
    }
}
