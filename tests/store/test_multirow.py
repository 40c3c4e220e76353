"""store/multirow.py: the rows of one insert in one statement, and only where that means the same."""

from deconfliction.store.multirow import MAX_ROWS, batches, repeated

INSERT = "INSERT INTO log_records (id, value) VALUES (?, ?)"
INDEX = ("INSERT INTO notice_volumes (notice_id, k, footprint, during) "
         "VALUES (?, ?, ST_GeogFromText(?), tstzrange(?, ?, '[]'))")
UPSERT = "INSERT INTO deadlines (id, state) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state"


def test_the_row_is_repeated_with_its_functions_and_the_rest_kept():
    assert repeated(INSERT, 3) == "INSERT INTO log_records (id, value) VALUES (?, ?), (?, ?), (?, ?)"
    assert repeated(INDEX, 2).endswith("VALUES (?, ?, ST_GeogFromText(?), tstzrange(?, ?, '[]')), (?, ?, ST_GeogFromText(?), tstzrange(?, ?, '[]'))")
    assert repeated(UPSERT, 2).endswith("(?, ?), (?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state")


def test_rows_go_in_order_with_their_parameters_flattened():
    assert batches(INSERT, [(1, b"a"), (2, b"b")]) == [(repeated(INSERT, 2), [1, b"a", 2, b"b"])]


def test_many_rows_are_cut_into_statements_of_at_most_max_rows():
    rows = [(k, b"x") for k in range(2 * MAX_ROWS + 1)]
    out = batches(INSERT, rows)
    assert [len(params) // 2 for _, params in out] == [MAX_ROWS, MAX_ROWS, 1]
    assert [p for _, params in out for p in params[::2]] == list(range(2 * MAX_ROWS + 1))


def test_an_upsert_that_would_update_one_key_twice_goes_row_by_row():
    # ON CONFLICT DO UPDATE refuses to affect a row twice in one statement; one by one, the last wins.
    assert batches(UPSERT, [("d1", "pending"), ("d1", "done")]) is None
    assert batches(UPSERT, [("d1", "pending"), ("d2", "done")]) is not None
    # DO NOTHING skips a repeated key within one statement as it would across statements
    assert batches("INSERT INTO log_keys (key_id) VALUES (?) ON CONFLICT (key_id) DO NOTHING", [("k",), ("k",)]) is not None


def test_marks_outside_the_row_are_not_repeated():
    assert batches("INSERT INTO t (a, b) SELECT ?, b FROM u WHERE c = ?", [(1, 2), (3, 4)]) is None
    assert batches("WITH x AS (SELECT ?) INSERT INTO t (a) VALUES (?)", [(1, 2), (3, 4)]) is None
    assert batches("INSERT INTO t (a) VALUES (?) RETURNING a + ?", [(1, 2), (3, 4)]) is None
