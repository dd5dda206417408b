// Uniqueness constraints on every id of the graph model (DESIGN.md) and the indexes analysts' segment
// queries need. Idempotent: IF NOT EXISTS / IF EXISTS. Parameters: none. Applied by `shopgraph db init`
// and before every load.
CREATE CONSTRAINT user_id_unique IF NOT EXISTS FOR (u:User) REQUIRE u.user_id IS UNIQUE;
CREATE CONSTRAINT product_id_unique IF NOT EXISTS FOR (p:Product) REQUIRE p.product_id IS UNIQUE;
CREATE CONSTRAINT category_id_unique IF NOT EXISTS FOR (c:Category) REQUIRE c.category_id IS UNIQUE;
CREATE CONSTRAINT category_level_path_unique IF NOT EXISTS FOR (l:CategoryLevel) REQUIRE l.path IS UNIQUE;
CREATE CONSTRAINT brand_name_unique IF NOT EXISTS FOR (b:Brand) REQUIRE b.name IS UNIQUE;
// Segment ids repeat across runs (a segment that persists keeps its id): the key is "<run_id>/<segment_id>".
DROP CONSTRAINT segment_id_unique IF EXISTS;
CREATE CONSTRAINT segment_key_unique IF NOT EXISTS FOR (s:Segment) REQUIRE s.segment_key IS UNIQUE;
CREATE CONSTRAINT segmentation_run_id_unique IF NOT EXISTS FOR (r:SegmentationRun) REQUIRE r.run_id IS UNIQUE;
CREATE CONSTRAINT ingested_file_sha_unique IF NOT EXISTS FOR (f:IngestedFile) REQUIRE f.sha256 IS UNIQUE;
// `MATCH (u:User {segment: $name})`, the current segmentation.
CREATE INDEX user_segment IF NOT EXISTS FOR (u:User) ON (u.segment);
// segment_customers: a segment's members biggest spender first, once the run's User copy is done. No index on
// segment_run alone (one value for nearly every user) nor on total_spent alone (the walk it served is gone, and
// each index on total_spent cost the features write ≈ 40 %: docs/BENCHMARKS.md, "Segment write-back").
CREATE INDEX user_segment_spent IF NOT EXISTS FOR (u:User) ON (u.segment_run, u.segment_id, u.total_spent);
DROP INDEX user_total_spent IF EXISTS;
DROP INDEX user_segment_run IF EXISTS;
CREATE INDEX segment_current IF NOT EXISTS FOR (s:Segment) ON (s.current);
CREATE INDEX segmentation_run_current IF NOT EXISTS FOR (r:SegmentationRun) ON (r.current);
// The likely segment below the threshold: --include-likely's members. No stamp any more: the write compares
// with what the graph holds (segments/writeback.py).
CREATE INDEX user_likely_segment_id IF NOT EXISTS FOR (u:User) ON (u.likely_segment_id);
DROP INDEX user_likely_segment_stamp IF EXISTS;
