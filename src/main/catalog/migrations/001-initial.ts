import type { Migration } from './types';

/**
 * The catalog as the product needs it from day one. Times are integer milliseconds since the epoch;
 * booleans are 0/1 integers; *_json columns hold validated JSON written by the engine; `file` columns
 * are media paths relative to the data folder.
 */
export const initial: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE project (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        opened_at  INTEGER
      ) STRICT;
      CREATE UNIQUE INDEX project_name ON project (name COLLATE NOCASE);

      CREATE TABLE dataset (
        id           INTEGER PRIMARY KEY,
        project_id   INTEGER NOT NULL REFERENCES project (id) ON DELETE CASCADE,
        name         TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('image', 'text')),
        source       TEXT NOT NULL DEFAULT 'user',   -- 'user' or 'sample:<id>'
        attribution  TEXT,
        prepare_json TEXT NOT NULL DEFAULT '{}',
        augment_json TEXT NOT NULL DEFAULT '{}',
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX dataset_name ON dataset (project_id, name COLLATE NOCASE);

      -- One imported file of a dataset. Files are content-addressed (hash = sha256 of the bytes), so an
      -- exact duplicate inside a dataset is the same row.
      CREATE TABLE item (
        id            INTEGER PRIMARY KEY,
        dataset_id    INTEGER NOT NULL REFERENCES dataset (id) ON DELETE CASCADE,
        hash          TEXT NOT NULL,
        file          TEXT NOT NULL,
        thumb         TEXT,
        original_name TEXT NOT NULL,
        mime          TEXT NOT NULL,
        bytes         INTEGER NOT NULL,
        width         INTEGER,
        height        INTEGER,
        has_alpha     INTEGER NOT NULL DEFAULT 0,
        phash         TEXT,
        label         TEXT,
        caption       TEXT,
        created_at    INTEGER NOT NULL,
        UNIQUE (dataset_id, hash)
      ) STRICT;
      CREATE INDEX item_dataset ON item (dataset_id, id);
      CREATE INDEX item_label ON item (dataset_id, label);

      CREATE TABLE tag (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX tag_name ON tag (name COLLATE NOCASE);

      CREATE TABLE item_tag (
        item_id INTEGER NOT NULL REFERENCES item (id) ON DELETE CASCADE,
        tag_id  INTEGER NOT NULL REFERENCES tag (id) ON DELETE CASCADE,
        PRIMARY KEY (item_id, tag_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX item_tag_tag ON item_tag (tag_id);

      -- Every long piece of work. Progress is both an event (live views) and this row (restarts).
      CREATE TABLE job (
        id            INTEGER PRIMARY KEY,
        project_id    INTEGER REFERENCES project (id) ON DELETE CASCADE,
        kind          TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'interrupted', 'done', 'failed', 'cancelled', 'diverged')),
        params_json   TEXT NOT NULL DEFAULT '{}',
        progress_json TEXT NOT NULL DEFAULT '{}',
        result_json   TEXT,
        error         TEXT,
        owner_pid     INTEGER,
        created_at    INTEGER NOT NULL,
        started_at    INTEGER,
        heartbeat_at  INTEGER,
        ended_at      INTEGER
      ) STRICT;
      CREATE INDEX job_status ON job (status);
      CREATE INDEX job_project ON job (project_id, id);

      -- A trainable thing: family + config. Base models and imported models have no project.
      CREATE TABLE model (
        id          INTEGER PRIMARY KEY,
        project_id  INTEGER REFERENCES project (id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        family      TEXT NOT NULL,
        config_json TEXT NOT NULL,
        source      TEXT NOT NULL CHECK (source IN ('trained', 'imported', 'base')),
        meta_json   TEXT NOT NULL DEFAULT '{}',   -- vocabulary, attribution, lineage
        created_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX model_project ON model (project_id);

      CREATE TABLE run (
        id                   INTEGER PRIMARY KEY,
        project_id           INTEGER NOT NULL REFERENCES project (id) ON DELETE CASCADE,
        model_id             INTEGER NOT NULL REFERENCES model (id) ON DELETE CASCADE,
        dataset_id           INTEGER REFERENCES dataset (id) ON DELETE SET NULL,
        job_id               INTEGER REFERENCES job (id) ON DELETE SET NULL,
        name                 TEXT NOT NULL,
        status               TEXT NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'interrupted', 'diverged', 'done', 'failed', 'cancelled')),
        params_json          TEXT NOT NULL,      -- batch, length, augment, seed, fine-tune options
        backend              TEXT,
        backend_json         TEXT,               -- which backend ran and why the others were skipped
        step                 INTEGER NOT NULL DEFAULT 0,
        images_seen          INTEGER NOT NULL DEFAULT 0,
        train_ms             INTEGER NOT NULL DEFAULT 0,
        best_metric          REAL,
        parent_checkpoint_id INTEGER REFERENCES checkpoint (id) ON DELETE SET NULL,
        error                TEXT,
        created_at           INTEGER NOT NULL,
        updated_at           INTEGER NOT NULL,
        ended_at             INTEGER
      ) STRICT;
      CREATE INDEX run_project ON run (project_id, id);
      CREATE INDEX run_status ON run (status);

      -- Loss curves and other per-step scalars.
      CREATE TABLE run_scalar (
        run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
        name   TEXT NOT NULL,
        step   INTEGER NOT NULL,
        value  REAL NOT NULL,
        PRIMARY KEY (run_id, name, step)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE checkpoint (
        id           INTEGER PRIMARY KEY,
        model_id     INTEGER NOT NULL REFERENCES model (id) ON DELETE CASCADE,
        run_id       INTEGER REFERENCES run (id) ON DELETE CASCADE,
        step         INTEGER NOT NULL,
        file         TEXT NOT NULL,
        sha256       TEXT NOT NULL,
        bytes        INTEGER NOT NULL,
        metric       REAL,
        metrics_json TEXT NOT NULL DEFAULT '{}',
        created_at   INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX checkpoint_run ON checkpoint (run_id, step);
      CREATE INDEX checkpoint_model ON checkpoint (model_id, step);
      CREATE INDEX checkpoint_sha ON checkpoint (sha256);

      CREATE TABLE sample_grid (
        id         INTEGER PRIMARY KEY,
        run_id     INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
        step       INTEGER NOT NULL,
        file       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (run_id, step)
      ) STRICT;

      -- An image or text the user generated, with everything that reproduces it.
      CREATE TABLE generation (
        id                INTEGER PRIMARY KEY,
        project_id        INTEGER NOT NULL REFERENCES project (id) ON DELETE CASCADE,
        kind              TEXT NOT NULL CHECK (kind IN ('image', 'text')),
        model_id          INTEGER REFERENCES model (id) ON DELETE SET NULL,
        run_id            INTEGER REFERENCES run (id) ON DELETE SET NULL,
        checkpoint_id     INTEGER REFERENCES checkpoint (id) ON DELETE SET NULL,
        checkpoint_sha256 TEXT NOT NULL,
        step              INTEGER NOT NULL,
        seed              INTEGER NOT NULL,
        prompt            TEXT NOT NULL DEFAULT '',
        params_json       TEXT NOT NULL,
        backend           TEXT NOT NULL,
        app_version       TEXT NOT NULL,
        file              TEXT,
        text              TEXT,
        width             INTEGER,
        height            INTEGER,
        label             TEXT,
        nearest_item_id   INTEGER REFERENCES item (id) ON DELETE SET NULL,
        nearest_distance  REAL,
        memorised         INTEGER NOT NULL DEFAULT 0,
        starred           INTEGER NOT NULL DEFAULT 0,
        trashed_at        INTEGER,
        created_at        INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX generation_browse ON generation (project_id, trashed_at, id);
      CREATE INDEX generation_model ON generation (project_id, model_id);
      CREATE INDEX generation_run ON generation (project_id, run_id);
      CREATE INDEX generation_seed ON generation (project_id, seed);

      CREATE TABLE generation_tag (
        generation_id INTEGER NOT NULL REFERENCES generation (id) ON DELETE CASCADE,
        tag_id        INTEGER NOT NULL REFERENCES tag (id) ON DELETE CASCADE,
        PRIMARY KEY (generation_id, tag_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX generation_tag_tag ON generation_tag (tag_id);

      CREATE TABLE board (
        id         INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES project (id) ON DELETE CASCADE,
        name       TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX board_name ON board (project_id, name COLLATE NOCASE);

      CREATE TABLE board_item (
        board_id      INTEGER NOT NULL REFERENCES board (id) ON DELETE CASCADE,
        generation_id INTEGER NOT NULL REFERENCES generation (id) ON DELETE CASCADE,
        added_at      INTEGER NOT NULL,
        PRIMARY KEY (board_id, generation_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX board_item_generation ON board_item (generation_id);

      CREATE TABLE prompt_history (
        id          INTEGER PRIMARY KEY,
        project_id  INTEGER NOT NULL REFERENCES project (id) ON DELETE CASCADE,
        model_id    INTEGER REFERENCES model (id) ON DELETE SET NULL,
        prompt      TEXT NOT NULL,
        params_json TEXT NOT NULL DEFAULT '{}',
        used_at     INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX prompt_history_project ON prompt_history (project_id, used_at);

      CREATE TABLE export (
        id            INTEGER PRIMARY KEY,
        project_id    INTEGER REFERENCES project (id) ON DELETE CASCADE,
        kind          TEXT NOT NULL,
        out_dir       TEXT NOT NULL,
        files_json    TEXT NOT NULL,
        manifest_json TEXT NOT NULL DEFAULT '{}',
        created_at    INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE setting (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- Full-text search over what creators type and name: prompts, tags, labels, model names,
      -- captions. Kept in step with its sources by the catalog's write functions.
      CREATE VIRTUAL TABLE search_fts USING fts5 (
        body,
        kind UNINDEXED,
        ref_id UNINDEXED,
        project_id UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2'
      );
    `);
  },
};
