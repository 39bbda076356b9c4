-- Full-text search finds the newest notes first by walking the index forwards.
--
-- A search asks for the person's newest fifty hits. FTS5 walks a doclist forwards
-- cheaply (it stops after fifty, skipping through the doclist index), but backwards
-- it reads each term's whole doclist first: `ORDER BY rowid DESC` cost 16 to 23 ms on
-- 210,000 notes where the same query forwards took 2 to 3 ms (bench, issue 8). So the
-- rowids are negated: -2 × note id for a note's sections, -(2 × addendum id + 1) for
-- an addendum. Newer text has the smaller rowid, and ascending order is newest first.
-- Nothing else changes: the same table, columns and tokenizer.

CREATE VIRTUAL TABLE note_search_newest_first USING fts5(
    owner, body, tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO note_search_newest_first (rowid, owner, body)
    SELECT -rowid, owner, body FROM note_search ORDER BY rowid DESC;
DROP TABLE note_search;
ALTER TABLE note_search_newest_first RENAME TO note_search;
