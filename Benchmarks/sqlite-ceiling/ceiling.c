/*
 * SQLite's own ceiling for the rows a chat line writes (issue #29, point 5): no server, no Swift,
 * no HTTP, only the SQLite C library on this machine's disk. Every figure of BENCHMARKS.md about
 * the write path is read as a ratio to what this measures in the same run.
 *
 * A chat line is two inserts, as the server writes them (Sources/App/Chat/ChatController.swift,
 * Sources/App/Live/LiveEvents.swift): the line in session_messages (RETURNING id) and its journal
 * event in session_events with the session's next seq. The tables are the server's own, with
 * their indexes, constraints and foreign keys (on, as SQLiteNIO opens every connection), in WAL
 * mode with synchronous=NORMAL (Sources/App/configure.swift). Each configuration runs on a fresh
 * file:
 *   - batch: lines per transaction (1, 10, 50, 200);
 *   - statements "reused": both inserts prepared once and reset between lines (what a statement
 *     cache on the writer would do);
 *     "prepared_each_time": prepared and finalized at every line (what SQLiteNIO does today on
 *     the writing connection);
 *     "reused_max_seq": prepared once, but the seq read with the server's
 *     INSERT … SELECT COALESCE(MAX(seq), 0) + 1 instead of a counter held in memory;
 *     "server_statements": the whole transaction of a chat line as the server's writer runs it
 *     today, each statement prepared at every line: the session's row lock with the seat and
 *     idleness (WriterStatement), the presence touch, the line, the event with MAX(seq). What
 *     SQLite itself costs of the server's write path, without Swift, threads or HTTP.
 * It prints one JSON object: lines per second and CPU microseconds per line of each configuration.
 *
 * Build: cc -O2 -o ceiling ceiling.c -lsqlite3 (the system's SQLite), or against the server's own
 * amalgamation (SQLiteNIO's 3.54, symbols prefixed sqlite_nio_): see run.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifdef CEILING_NIO_AMALGAMATION
#include "sqlite_nio_sqlite3.h"
/* Its types keep their names; its functions are prefixed. */
#define S(name) sqlite_nio_##name
#else
#include <sqlite3.h>
#define S(name) name
#endif

static const char *schema =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL);"
    "CREATE TABLE sessions (id UUID PRIMARY KEY, name TEXT NOT NULL, status VARCHAR(20) NOT NULL DEFAULT 'active', "
    "card_values VARCHAR(20) NOT NULL DEFAULT 'current', updated_at REAL NOT NULL DEFAULT 0);"
    "CREATE TABLE session_draws (id UUID PRIMARY KEY);"
    /* From `.schema session_messages session_events` of a database migrated by `etrange migrate`. */
    "CREATE TABLE IF NOT EXISTS \"session_messages\" (\"id\" INTEGER PRIMARY KEY, \"session_id\" UUID NOT NULL "
    "REFERENCES \"sessions\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION, \"user_id\" INTEGER REFERENCES "
    "\"users\" (\"id\") ON DELETE SET NULL ON UPDATE NO ACTION, \"kind\" VARCHAR(10) NOT NULL CHECK (kind IN "
    "('text', 'draw', 'system')), \"body\" TEXT NOT NULL, \"draw_id\" UUID REFERENCES \"session_draws\" (\"id\") "
    "ON DELETE SET NULL ON UPDATE NO ACTION, \"created_at\" REAL NOT NULL, \"scope\" VARCHAR(12) NOT NULL DEFAULT "
    "'public' CHECK (scope IN ('public', 'private', 'announcement')), \"edited_at\" REAL, \"deleted_at\" REAL, "
    "\"pinned_at\" REAL);"
    "CREATE INDEX \"idx_session_messages_session\" ON \"session_messages\" (\"session_id\", \"id\");"
    "CREATE INDEX \"idx_session_messages_user\" ON \"session_messages\" (\"user_id\");"
    "CREATE INDEX \"idx_session_messages_draw\" ON \"session_messages\" (\"draw_id\");"
    "CREATE TABLE IF NOT EXISTS \"session_events\" (\"id\" UUID PRIMARY KEY, \"session_id\" UUID NOT NULL "
    "REFERENCES \"sessions\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION, \"seq\" INTEGER NOT NULL CHECK (seq > "
    "0), \"type\" VARCHAR(40) NOT NULL, \"at\" REAL NOT NULL, \"data\" TEXT NOT NULL, \"visibility\" VARCHAR(10) NOT "
    "NULL DEFAULT 'all' CHECK (visibility IN ('all', 'mj')), \"recipient_id\" INTEGER REFERENCES \"users\" "
    "(\"id\") ON DELETE SET NULL ON UPDATE NO ACTION, \"message_id\" INTEGER, CONSTRAINT \"uq_session_events_seq\" "
    "UNIQUE (\"session_id\", \"seq\"));"
    "CREATE INDEX \"idx_session_events_at\" ON \"session_events\" (\"at\");"
    "CREATE INDEX \"idx_session_events_message\" ON \"session_events\" (\"message_id\");"
    /* The server's seats and presence, which its writer reads and touches at every line (without
       the character's foreign key: no characters here). */
    "CREATE TABLE IF NOT EXISTS \"session_participants\" (\"id\" UUID PRIMARY KEY, \"session_id\" UUID NOT NULL "
    "REFERENCES \"sessions\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION, \"user_id\" INTEGER NOT NULL "
    "REFERENCES \"users\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION, \"character_id\" UUID, \"role\" "
    "VARCHAR(20) NOT NULL DEFAULT 'player' CHECK (role IN ('master', 'player', 'observer')), \"joined_at\" REAL NOT "
    "NULL DEFAULT CURRENT_TIMESTAMP, \"left_at\" REAL, \"total_time_minutes\" INTEGER CHECK (total_time_minutes "
    ">= 0), \"played_seconds\" DOUBLE NOT NULL DEFAULT 0 CHECK (played_seconds >= 0), \"playing_since\" REAL, "
    "\"created_at\" REAL NOT NULL DEFAULT CURRENT_TIMESTAMP, \"updated_at\" REAL NOT NULL DEFAULT "
    "CURRENT_TIMESTAMP, \"is_active\" INTEGER NOT NULL DEFAULT true, CONSTRAINT \"uq_session_participants_pair\" "
    "UNIQUE (\"session_id\", \"user_id\"));"
    "CREATE INDEX \"idx_session_participants_user\" ON \"session_participants\" (\"user_id\");"
    "CREATE INDEX \"idx_session_participants_character\" ON \"session_participants\" (\"character_id\");"
    "CREATE TABLE IF NOT EXISTS \"session_presence\" (\"id\" UUID PRIMARY KEY, \"session_id\" UUID NOT NULL "
    "REFERENCES \"sessions\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION, \"user_id\" INTEGER NOT NULL "
    "REFERENCES \"users\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION, \"character_id\" UUID, \"is_online\" "
    "INTEGER NOT NULL DEFAULT true, \"last_seen\" REAL NOT NULL DEFAULT CURRENT_TIMESTAMP, \"joined_at\" REAL NOT "
    "NULL DEFAULT CURRENT_TIMESTAMP, \"left_at\" REAL, \"last_active_at\" REAL, \"idle_since\" REAL, CONSTRAINT "
    "\"uq_session_presence_pair\" UNIQUE (\"session_id\", \"user_id\"));"
    "CREATE INDEX \"idx_session_presence_user\" ON \"session_presence\" (\"user_id\");"
    "CREATE INDEX \"idx_session_presence_character\" ON \"session_presence\" (\"character_id\");"
    "CREATE INDEX \"idx_session_presence_online\" ON \"session_presence\" (\"session_id\", \"is_online\");";

/* Chat.post's line (ChatLineStatement). */
static const char *insert_line =
    "INSERT INTO session_messages (session_id, user_id, kind, body, draw_id, created_at, scope) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
/* The journal event with a seq the writer holds in memory (issue #29, point 3). */
static const char *insert_event_counter =
    "INSERT INTO session_events (id, session_id, seq, type, at, data, visibility, recipient_id, message_id) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/* RecordEventStatement, as the server runs it today. */
static const char *insert_event_max_seq =
    "INSERT INTO session_events (id, session_id, seq, type, at, data, visibility, recipient_id, message_id) "
    "SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, CAST($7 AS BIGINT), CAST($8 AS BIGINT) "
    "FROM session_events WHERE session_id = $2 RETURNING seq";

/* Participation.lockForWriter's WriterStatement and Participation.active's touch, as the server runs them. */
static const char *lock_session =
    "UPDATE sessions SET updated_at = updated_at WHERE id = $1\n"
    "RETURNING status, card_values,\n"
    "  (SELECT p.role FROM session_participants p WHERE p.session_id = $1 AND p.user_id = $2\n"
    "    AND p.is_active = TRUE) AS seat_role,\n"
    "  EXISTS (SELECT 1 FROM session_presence o WHERE o.session_id = $1 AND o.user_id = $2\n"
    "    AND o.idle_since IS NOT NULL) AS idle";
static const char *touch_presence = "UPDATE \"session_presence\" SET \"last_active_at\" = ?1, \"idle_since\" = NULL "
                                    "WHERE \"session_id\" = ?2 AND \"user_id\" = ?3";

enum mode { REUSED, PREPARED_EACH_TIME, REUSED_MAX_SEQ, SERVER_STATEMENTS };
static const char *mode_names[] = {"reused", "prepared_each_time", "reused_max_seq", "server_statements"};

static void die(sqlite3 * db, const char *what) {
    fprintf(stderr, "ceiling: %s: %s\n", what, db ? S(sqlite3_errmsg)(db) : "?");
    exit(1);
}

static void exec(sqlite3 * db, const char *sql) {
    char *error = NULL;
    if (S(sqlite3_exec)(db, sql, NULL, NULL, &error) != SQLITE_OK) {
        fprintf(stderr, "ceiling: %s: %s\n", sql, error ? error : "?");
        exit(1);
    }
}

static double now_seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec +
           (double)usage.ru_stime.tv_usec / 1e6;
}

/* 16 random bytes, as SQLiteNIO stores a Swift UUID (a blob). */
static void uuid(unsigned char out[16]) {
    for (int i = 0; i < 16; i++) out[i] = (unsigned char)(random() & 0xff);
    out[6] = (out[6] & 0x0f) | 0x40;
    out[8] = (out[8] & 0x3f) | 0x80;
}

static sqlite3_stmt * prepare(sqlite3 * db, const char *sql) {
    sqlite3_stmt *statement = NULL;
    if (S(sqlite3_prepare_v3)(db, sql, -1, 0, &statement, NULL) != SQLITE_OK) die(db, sql);
    return statement;
}

/* Steps a statement to its end (RETURNING gives one row), then resets it for the next line. */
static int64_t run(sqlite3 * db, sqlite3_stmt * statement) {
    int64_t value = 0;
    int rc;
    while ((rc = S(sqlite3_step)(statement)) == SQLITE_ROW) value = S(sqlite3_column_int64)(statement, 0);
    if (rc != SQLITE_DONE) die(db, "step");
    S(sqlite3_reset)(statement);
    S(sqlite3_clear_bindings)(statement);
    return value;
}

/* The database and its WAL files, so that every configuration starts from nothing. */
static void remove_database(const char *path) {
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char file[4200];
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
}

struct result {
    double seconds, cpu_seconds;
};

static struct result measure(const char *dir, int batch, enum mode mode, int lines, int sessions) {
    char path[4096];
    snprintf(path, sizeof path, "%s/ceiling-%d-%d.sqlite", dir, batch, (int)mode);
    remove_database(path);
    sqlite3 *db = NULL;
    if (S(sqlite3_open_v2)(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK)
        die(db, "open");
    exec(db, "PRAGMA foreign_keys = ON");
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, "PRAGMA synchronous = NORMAL");
    exec(db, schema);

    unsigned char(*session_ids)[16] = calloc((size_t)sessions, 16);
    int64_t *next_seq = calloc((size_t)sessions, sizeof(int64_t));
    exec(db, "BEGIN");
    sqlite3_stmt *parent = prepare(db, "INSERT INTO sessions (id, name) VALUES ($1, 'bench')");
    sqlite3_stmt *user = prepare(db, "INSERT INTO users (id, username) VALUES ($1, 'bench')");
    /* The writer of each session is seated and present, as the MJ of a bench session is. */
    sqlite3_stmt *seat = prepare(
        db, "INSERT INTO session_participants (id, session_id, user_id, role) VALUES ($1, $2, $3, 'master')");
    sqlite3_stmt *present =
        prepare(db, "INSERT INTO session_presence (id, session_id, user_id) VALUES ($1, $2, $3)");
    for (int s = 0; s < sessions; s++) {
        uuid(session_ids[s]);
        S(sqlite3_bind_blob)(parent, 1, session_ids[s], 16, SQLITE_STATIC);
        run(db, parent);
        S(sqlite3_bind_int64)(user, 1, s + 1);
        run(db, user);
        sqlite3_stmt *rows[] = {seat, present};
        for (int r = 0; r < 2; r++) {
            unsigned char id[16];
            uuid(id);
            S(sqlite3_bind_blob)(rows[r], 1, id, 16, SQLITE_TRANSIENT);
            S(sqlite3_bind_blob)(rows[r], 2, session_ids[s], 16, SQLITE_STATIC);
            S(sqlite3_bind_int64)(rows[r], 3, s + 1);
            run(db, rows[r]);
        }
    }
    S(sqlite3_finalize)(parent);
    S(sqlite3_finalize)(user);
    S(sqlite3_finalize)(seat);
    S(sqlite3_finalize)(present);
    exec(db, "COMMIT");
    /* Every configuration starts from a checkpointed file, as a server does after its migrations. */
    exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");

    int each_time = mode == PREPARED_EACH_TIME || mode == SERVER_STATEMENTS;
    int max_seq = mode == REUSED_MAX_SEQ || mode == SERVER_STATEMENTS;
    const char *event_sql = max_seq ? insert_event_max_seq : insert_event_counter;
    sqlite3_stmt *line = each_time ? NULL : prepare(db, insert_line);
    sqlite3_stmt *event = each_time ? NULL : prepare(db, event_sql);
    char body[160], data[1024];
    double wall = now_seconds(CLOCK_MONOTONIC), cpu = cpu_seconds();
    for (int i = 0; i < lines; i++) {
        if (i % batch == 0) exec(db, "BEGIN");
        int s = i % sessions;
        double at = now_seconds(CLOCK_REALTIME);
        /* The load tool's chat body (`bm|c|<ns>|` and a phrase), about 60 bytes. */
        int body_length = snprintf(body, sizeof body, "bm|c|%lld|Le vent tourne sur la lande, on entend les cloches.",
                                   (long long)(at * 1e9));
        if (mode == SERVER_STATEMENTS) {
            sqlite3_stmt *lock = prepare(db, lock_session);
            S(sqlite3_bind_blob)(lock, 1, session_ids[s], 16, SQLITE_STATIC);
            S(sqlite3_bind_int64)(lock, 2, s + 1);
            run(db, lock);
            S(sqlite3_finalize)(lock);
            sqlite3_stmt *touch = prepare(db, touch_presence);
            S(sqlite3_bind_double)(touch, 1, at);
            S(sqlite3_bind_blob)(touch, 2, session_ids[s], 16, SQLITE_STATIC);
            S(sqlite3_bind_int64)(touch, 3, s + 1);
            run(db, touch);
            S(sqlite3_finalize)(touch);
        }
        if (each_time) line = prepare(db, insert_line);
        S(sqlite3_bind_blob)(line, 1, session_ids[s], 16, SQLITE_STATIC);
        S(sqlite3_bind_int64)(line, 2, s + 1);
        S(sqlite3_bind_text)(line, 3, "text", 4, SQLITE_STATIC);
        S(sqlite3_bind_text)(line, 4, body, body_length, SQLITE_STATIC);
        S(sqlite3_bind_null)(line, 5);
        S(sqlite3_bind_double)(line, 6, at);
        S(sqlite3_bind_text)(line, 7, "public", 6, SQLITE_STATIC);
        int64_t message_id = run(db, line);
        if (each_time) S(sqlite3_finalize)(line);

        /* The event's data: the line as MessageResponse encodes it, about 330 bytes. */
        int data_length = snprintf(
            data, sizeof data,
            "{\"author\":{\"display_name\":null,\"id\":%d,\"username\":\"joueur%d\"},\"body\":\"%s\","
            "\"created_at\":\"2026-12-05T00:00:00.000Z\",\"draw_id\":null,\"id\":%lld,\"kind\":\"text\","
            "\"pinned_at\":null,\"recipients\":[],\"scope\":\"public\",\"session_id\":"
            "\"6F1C2E0A-0000-4000-8000-%012d\",\"user_id\":%d}",
            s + 1, s + 1, body, (long long)message_id, s, s + 1);
        unsigned char event_id[16];
        uuid(event_id);
        if (each_time) event = prepare(db, event_sql);
        int n = 1;
        S(sqlite3_bind_blob)(event, n++, event_id, 16, SQLITE_STATIC);
        S(sqlite3_bind_blob)(event, n++, session_ids[s], 16, SQLITE_STATIC);
        if (!max_seq) S(sqlite3_bind_int64)(event, n++, ++next_seq[s]);
        S(sqlite3_bind_text)(event, n++, "chat.message", 12, SQLITE_STATIC);
        S(sqlite3_bind_double)(event, n++, at);
        S(sqlite3_bind_text)(event, n++, data, data_length, SQLITE_STATIC);
        S(sqlite3_bind_text)(event, n++, "all", 3, SQLITE_STATIC);
        S(sqlite3_bind_null)(event, n++);
        S(sqlite3_bind_int64)(event, n++, message_id);
        run(db, event);
        if (each_time) S(sqlite3_finalize)(event);

        if (i % batch == batch - 1 || i == lines - 1) exec(db, "COMMIT");
    }
    struct result result = {now_seconds(CLOCK_MONOTONIC) - wall, cpu_seconds() - cpu};

    /* Every line and every event is there, and no session's journal has a gap. */
    sqlite3_stmt *check = prepare(
        db, "SELECT (SELECT COUNT(*) FROM session_messages), (SELECT COUNT(*) FROM session_events), "
            "(SELECT COUNT(*) FROM (SELECT session_id FROM session_events GROUP BY session_id "
            "HAVING MAX(seq) <> COUNT(*)))");
    if (S(sqlite3_step)(check) != SQLITE_ROW || S(sqlite3_column_int64)(check, 0) != lines ||
        S(sqlite3_column_int64)(check, 1) != lines || S(sqlite3_column_int64)(check, 2) != 0)
        die(db, "check: lines, events or seq gaps");
    S(sqlite3_finalize)(check);
    if (!each_time) {
        S(sqlite3_finalize)(line);
        S(sqlite3_finalize)(event);
    }
    S(sqlite3_close)(db);
    remove_database(path);
    free(session_ids);
    free(next_seq);
    return result;
}

int main(int argc, char **argv) {
    const char *dir = "/tmp";
    int lines = 20000, sessions = 2800;
    int batches[16] = {1, 10, 50, 200}, batch_count = 4;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--lines") && i + 1 < argc) lines = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sessions") && i + 1 < argc) sessions = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batches") && i + 1 < argc) {
            batch_count = 0;
            for (char *part = strtok(argv[++i], ","); part && batch_count < 16; part = strtok(NULL, ","))
                batches[batch_count++] = atoi(part);
        } else {
            fprintf(stderr, "usage: %s [--dir DIR] [--lines N] [--sessions S] [--batches 1,10,50,200]\n", argv[0]);
            return 2;
        }
    }
    if (lines < 1 || sessions < 1 || batch_count < 1) return 2;
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());
    printf("{\"sqlite_version\": \"%s\", \"lines\": %d, \"sessions\": %d, \"journal_mode\": \"wal\", "
           "\"synchronous\": \"normal\", \"results\": [",
           S(sqlite3_libversion)(), lines, sessions);
    int first = 1;
    for (int b = 0; b < batch_count; b++) {
        if (batches[b] < 1) return 2;
        for (int m = REUSED; m <= SERVER_STATEMENTS; m++) {
            struct result r = measure(dir, batches[b], (enum mode)m, lines, sessions);
            printf("%s\n  {\"batch\": %d, \"statements\": \"%s\", \"seconds\": %.4f, \"lines_per_second\": %.0f, "
                   "\"cpu_us_per_line\": %.2f}",
                   first ? "" : ",", batches[b], mode_names[m], r.seconds, lines / r.seconds,
                   r.cpu_seconds * 1e6 / lines);
            fflush(stdout);
            first = 0;
        }
    }
    printf("\n]}\n");
    return 0;
}
