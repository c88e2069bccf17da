-- Weekly snapshots of every village's counters and target (the rules name the days): the weekly bulletin, the
-- fortnightly ranking and the behind-schedule check read them, so a past week's figures never change. One header
-- per tenant, year and day: whichever replica inserts it takes the snapshot and publishes its events.
CREATE TABLE progress_snapshots (
  tenant_id         text        NOT NULL,
  coverage_year     int         NOT NULL,
  snapshot_date     date        NOT NULL,
  taken_at          timestamptz NOT NULL,
  expected_rate_bp  int         NOT NULL,
  villages_behind   int         NOT NULL,
  PRIMARY KEY (tenant_id, coverage_year, snapshot_date)
);
SELECT enable_tenant_rls('progress_snapshots');

CREATE TABLE village_snapshots (
  tenant_id                  text    NOT NULL,
  coverage_year              int     NOT NULL,
  snapshot_date              date    NOT NULL,
  village_code               text    NOT NULL,
  village_name               text    NOT NULL,
  township_code              text    NOT NULL,
  enrolled_count             bigint  NOT NULL,
  paid_count                 bigint  NOT NULL,
  zero_contribution_count    bigint  NOT NULL,
  refunded_count             bigint  NOT NULL,
  collected_amount_fen       bigint  NOT NULL,
  differential_refund_count  bigint  NOT NULL,
  subsidy_amount_fen         bigint  NOT NULL,
  has_target                 boolean NOT NULL,
  base                       int     NOT NULL,
  task                       int     NOT NULL,
  reduced_count              int     NOT NULL,
  behind_schedule            boolean NOT NULL,
  PRIMARY KEY (tenant_id, coverage_year, snapshot_date, village_code)
);
SELECT enable_tenant_rls('village_snapshots');
