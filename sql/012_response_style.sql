-- Style features of every answer, for style-controlled rankings (server/style.c counts them at
-- upload; rows written before this version are filled in the background): {length in Unicode
-- characters, Markdown headers, list items, bold spans}, NULL until computed.
ALTER TABLE responses ADD COLUMN style integer[]
  CHECK (style IS NULL OR (cardinality(style) = 4 AND 0 <= ALL (style)));
CREATE INDEX responses_style_missing ON responses (id) WHERE style IS NULL;
