// Package screen matches a visa applicant's name against designated persons.
//
// A consular officer types a name as a passport or visa form gives it, in
// any spelling or script; Index.Screen returns the designations whose names
// resemble it, best first, each with a score in [0, 1] and an Explanation:
// which name or alias matched, how each token paired, which qualifiers
// (birth date, nationality) raised or lowered the score, and, for an
// immediate relative, whose relative the person is.
//
// # Normalisation
//
// Normalize and Tokenize apply Unicode NFKC and case folding, remove
// diacritics, transliterate Cyrillic, Greek, Arabic and Hebrew with tables
// written for personal names (and every other script through unidecode),
// split the name into tokens, drop honorifics (Mr, Dr, Sheikh, Gen.…, and at
// the start of a name a long title with a letter doubled or swapped, Mulah,
// Shiekh) and write name particles (al-, el-, bin, ibn, van, von, de…) in one
// form, with little weight. A Cyrillic or Greek word also gets its readings
// as a Latin name written letter by letter (Смитх, Smith; a Greek iota
// before a vowel at the start read as j, Ιουλιαν, Julian). Such a writer
// chooses, for each Latin letter, one of the letters clerks use for it (g
// as г or дж, w as у or ου, o as о or ω), so the word is also compared
// as read toward each listed name, unit by unit (джоран, Goran), looked up
// by each of its spellings when it has few (уін, Win), and dropped as a
// title or suffix when one of its spellings is one (ιρ, Jr).
//
// # Comparison
//
// Tokens are paired whatever their order, best pair first, by the most
// favourable of: Jaro-Winkler with watchman's penalties for a different first
// letter and a different length; the same after folding romanisation
// variants (Yevgeniy and Evgenii, Khamid and Hamid); for a token read from
// Arabic or Hebrew script, whether it is the Latin token with short vowels
// left out (محمد and Mohammed, but not محمود and Mohammed), or failing that
// its consonants; initials; and tokens written together on one side and
// apart on the other (Abdulrahman, Abd al-Rahman). A query word matched
// with listed tokens written together is read with the spaces put back,
// each part paired with its listed token, as the words written apart would
// be (Ydollahbadon, Yadollah BADIN; and Faisalyazdni is not Faisal NADIM,
// however long the beginning they share); short tokens (Abd, al) stay with
// their neighbour. The score is a weighted
// mean of the pairs, where a query token without a partner counts fully
// against the match, a listed middle name the query leaves out counts a
// tenth, and a token common among the indexed names weighs less than a rare
// one. A single matching name part never scores above 0.8, so that "George
// Bush" is not "George Habbash". Birth date and nationality then add or
// subtract a few hundredths (after OpenSanctions' logic-v1 qualifiers).
// Scores of ReviewScore (0.85) and above are the band in which a visa
// should be held for review.
//
// # Index
//
// An Index keeps designations in memory with an inverted index of the
// distinct tokens of every name: exact tokens, folded keys, consonant
// skeletons and character bigrams of both. A query looks up tokens similar
// to each of its own, gathers the names holding them, and compares in full
// only the few dozen names that share most of the query: it never scans
// every entry. A query token nothing listed is nearly like, or one that
// begins with the Arabic article and is not nearly exact, is looked up as
// two name parts run together too (Petergrifin, Alrahhal): split where a
// part is a listed token, and, for a long word, by the listed tokens most
// of whose bigrams it holds, which finds the parts when each has a typo
// (Dragnzelenocic). Runs of short or weak query tokens are looked up as one
// word. The tokens found like a query token are remembered for the
// next query giving it (SetLookupMemo), until a put adds a token to the
// vocabulary. Index is safe for concurrent use and is updated in place
// with Put, PutAll and Remove as designations change; delisted designations
// stay indexed and are skipped unless a query asks for them.
//
//	ix := screen.NewIndex()
//	ix.PutAll(designations)
//	matches, err := ix.Screen(screen.Query{Name: "Радомир Завадский", BirthDate: "1968"})
package screen
