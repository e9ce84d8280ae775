-- Projects carry their quality thresholds (shown to staff, set by admins).
CREATE FUNCTION prefd_project_json(p projects, p_full boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'slug', p.slug, 'title', p.title, 'guidelines', p.guidelines,
    'guidelines_version', p.guidelines_version, 'outcomes', to_jsonb(p.outcomes),
    'flags', to_jsonb(p.flags), 'rationale', p.rationale, 'overlap', p.overlap,
    'lease_seconds', p.lease_seconds, 'gold_rate', p.gold_rate, 'status', p.status,
    'created_at', prefd_ts(p.created_at), 'updated_at', prefd_ts(p.updated_at),
    'strength', p.strength, 'criteria', p.criteria, 'rewrite', p.rewrite, 'reveal', p.reveal,
    'explicit', p.explicit,
    'qualification', CASE WHEN p.qual_gold > 0 THEN jsonb_build_object(
      'gold', p.qual_gold, 'min_accuracy', p.qual_min_accuracy,
      'retry_after_hours', p.qual_retry_hours) END)
  || CASE WHEN p_full THEN jsonb_build_object(
    'schedule', p.schedule, 'qc_min_seconds', p.qc_min_seconds, 'qc_min_gold_accuracy', p.qc_min_gold_accuracy,
    'raters', CASE WHEN p.raters_all THEN to_jsonb('all'::text)
                   ELSE coalesce((SELECT jsonb_agg(u.name ORDER BY u.name) FROM project_members m
                                   JOIN users u ON u.id = m.user_id
                                  WHERE m.project_id = p.id AND m.kind = 'rater'), '[]') END,
    'reviewers', coalesce((SELECT jsonb_agg(u.name ORDER BY u.name) FROM project_members m
                            JOIN users u ON u.id = m.user_id
                           WHERE m.project_id = p.id AND m.kind = 'reviewer'), '[]'))
  ELSE '{}'::jsonb END
$$;
