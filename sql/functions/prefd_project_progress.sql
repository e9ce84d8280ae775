-- Project p's progress for GET /projects/{slug}/progress: prompts and control prompts, models,
-- comparisons, votes against the target (comparisons x overlap), open places, imported votes,
-- open assignments and raters who voted. Cost: counts over the project's items, models, open
-- assignments and the sharded counters.
CREATE FUNCTION prefd_project_progress(p projects) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'prompts', (SELECT count(*) FROM items i WHERE i.project_id = p.id AND i.gold IS NULL),
    'control_prompts', (SELECT count(*) FROM items i
                         WHERE i.project_id = p.id AND i.gold IS NOT NULL),
    'models', (SELECT count(*) FROM models m WHERE m.project_id = p.id),
    'comparisons', p.comparisons,
    'votes', (SELECT coalesce(sum(k.votes), 0) FROM project_counts k WHERE k.project_id = p.id),
    'target_votes', p.comparisons * p.overlap,
    'open_places', (SELECT coalesce(sum(k.open), 0) FROM project_counts k
                     WHERE k.project_id = p.id),
    'imported_votes', (SELECT coalesce(sum(i.votes), 0) FROM imports i
                        WHERE i.project_id = p.id),
    'active_assignments', (SELECT count(*) FROM assignments a
                            WHERE a.project_id = p.id AND a.state = 'open'
                              AND a.expires_at > now()),
    'raters', (SELECT count(*) FROM rater_votes r WHERE r.project_id = p.id))
$$;
