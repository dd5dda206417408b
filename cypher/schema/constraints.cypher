// Uniqueness constraints on every id of the graph model (DESIGN.md). Idempotent: IF NOT EXISTS.
// Parameters: none. Applied by `shopgraph db init` and before every load.
CREATE CONSTRAINT user_id_unique IF NOT EXISTS FOR (u:User) REQUIRE u.user_id IS UNIQUE;
CREATE CONSTRAINT product_id_unique IF NOT EXISTS FOR (p:Product) REQUIRE p.product_id IS UNIQUE;
CREATE CONSTRAINT category_id_unique IF NOT EXISTS FOR (c:Category) REQUIRE c.category_id IS UNIQUE;
CREATE CONSTRAINT category_level_path_unique IF NOT EXISTS FOR (l:CategoryLevel) REQUIRE l.path IS UNIQUE;
CREATE CONSTRAINT brand_name_unique IF NOT EXISTS FOR (b:Brand) REQUIRE b.name IS UNIQUE;
CREATE CONSTRAINT segment_id_unique IF NOT EXISTS FOR (s:Segment) REQUIRE s.segment_id IS UNIQUE;
CREATE CONSTRAINT segmentation_run_id_unique IF NOT EXISTS FOR (r:SegmentationRun) REQUIRE r.run_id IS UNIQUE;
CREATE CONSTRAINT ingested_file_sha_unique IF NOT EXISTS FOR (f:IngestedFile) REQUIRE f.sha256 IS UNIQUE;
