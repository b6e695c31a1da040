// Package tlog is the audit log's Merkle tree without a database: RFC 6962
// hashing, tiles and their paths per C2SP tlog-tiles, inclusion and
// consistency proofs, and checkpoints per C2SP tlog-checkpoint, signed as
// notes (golang.org/x/mod/sumdb/note, Ed25519). The store persists what it
// produces; clients such as golang.org/x/mod/sumdb/tlog read the result.
//
// # Storage model
//
// Each leaf is one event's canonical JSON, at most MaxEntrySize bytes; its
// leaf hash is LeafHash(entry) = SHA-256(0x00 || entry). Hashes are stored
// as tile rows keyed by TileID{Level, Index}: the concatenated hashes of
// the tile, 1 to 256 of them. Level-0 tiles hold leaf hashes; a level-L
// tile holds the roots of complete subtrees of height 8L. The right-most
// tile of each level is partial and its row is rewritten as it grows; a
// hash, once written, never changes. The entries live in the events table
// and are served as entry bundles.
//
// # Writing
//
// One goroutine owns a Tree, the right edge of the tree: the size, the
// partial tile of each level and the compact range. At start, load it with
// Load(ctx, tiles, size), where size is the number of events committed;
// Load reads only the EdgeTiles(size) rows and refuses rows whose width
// does not match size. Then, per group-commit transaction:
//
//	b := tree.Begin()                  // BEGIN
//	for each request:
//		sp := b.Savepoint()            // SAVEPOINT
//		ev.Index = b.Size()            // the index the next leaf gets
//		_, err := b.AppendEntry(canonicalJSON(ev))
//		INSERT the change and the event
//		on failure: b.RollbackTo(sp)   // ROLLBACK TO
//		RELEASE
//	for _, td := range b.Tiles() {     // the rows that changed, full contents
//		upsert (td.Level, td.Index) → td.Data
//	}
//	COMMIT; then b.Commit(), or b.Rollback() if COMMIT failed
//	publish (tree.Size(), tree.Root()) to the checkpoint signer
//
// An append costs one leaf hash and one interior hash amortised, and never
// reads old leaves. Root gives the new root for the next checkpoint.
//
// # Reading
//
// A Prover computes proofs and roots for any size up to the latest
// checkpoint from tile rows read through a TileReader, with an LRU cache of
// tiles. For /log/tile/…, ParseTilePath parses the untrusted path strictly,
// Tile.InTree decides 404 against the checkpoint size, Tile.Trim cuts the
// stored row to the requested width, and entry bundles are built with
// AppendBundleEntry from the events of Tile.EntryRange. Tiles and bundles
// are immutable once served, partial ones included.
//
// # Checkpoints
//
// GenerateKey makes the log's key pair; the key name is the origin. A
// Signer signs checkpoints off the append path and never signs two
// inconsistent ones: it is built from the last persisted checkpoint note
// and demands a consistency proof from it for each larger size. Clients
// use VerifyCheckpoint, VerifyInclusion and VerifyConsistency, whose errors
// say what mismatched.
package tlog
