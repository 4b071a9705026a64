-- A warehouse table for pipelines/postgres-to-dynamics.hcl: the customers
-- of testdata/segment-300.csv, each with a region. From the repository's
-- root:
--
--   psql "$WAREHOUSE_URL" -f pipelines/warehouse.sql
--
-- It drops and recreates crm_segment.
DROP TABLE IF EXISTS crm_segment;
CREATE TABLE crm_segment (
  customer_id    bigint PRIMARY KEY,
  email          text,
  first_name     text,
  last_name      text,
  company        text,
  website        text,
  phone          text,
  city           text,
  country        text,
  lifetime_value numeric,
  is_active      boolean,
  updated_at     timestamptz NOT NULL,
  segment        text,
  region         text
);
\copy crm_segment (customer_id, email, first_name, last_name, company, website, phone, city, country, lifetime_value, is_active, updated_at, segment) FROM 'testdata/segment-300.csv' WITH (FORMAT csv, HEADER true)
UPDATE crm_segment SET region = CASE
  WHEN country IN ('AT', 'CH', 'DE', 'DK', 'ES', 'FR', 'GB', 'IE', 'IT', 'NL', 'PL', 'SE') THEN 'EU'
  WHEN country IN ('BR', 'CA', 'US') THEN 'AM'
  ELSE 'APAC'
END;
CREATE INDEX crm_segment_changes ON crm_segment (updated_at, customer_id);
