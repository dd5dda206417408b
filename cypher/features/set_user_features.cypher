// Sets the per-user behavioural metrics (features/registry.py, on_graph) on existing User nodes; users not in
// the graph are skipped. One property per on_graph metric, in the registry's order (tests/unit check the two
// agree): aligned column lists are 4x smaller to send than a map per row and cost the client no dict per user.
// Each user is found by its node id, checked against its user_id (graph/node_ids.py). Recency is not stored: it
// moves for every customer each month, so it is read as (:FeaturesOnGraph).window_end - u.last_seen (the load
// keeps u.last_seen); the REMOVE drops the recency_days of graphs written before (a no-op on the others).
// Parameters: $user_ids, $node_ids = LIST<INTEGER>; one LIST per metric, named as the metric and aligned with $user_ids
// (a null removes that property); $computed_at = STRING (the run's stamp, kept as u.features_at: when this
// customer's values were last sent; a customer whose values did not move is not sent again).
UNWIND range(0, size($user_ids) - 1) AS i
MATCH (u)
WHERE id(u) = $node_ids[i] AND u.user_id = $user_ids[i]
SET u.n_sessions = $n_sessions[i],
    u.active_days = $active_days[i],
    u.months_active = $months_active[i],
    u.tenure_days = $tenure_days[i],
    u.view_to_cart_rate = $view_to_cart_rate[i],
    u.cart_to_purchase_rate = $cart_to_purchase_rate[i],
    u.cart_abandonment_rate = $cart_abandonment_rate[i],
    u.purchase_rate = $purchase_rate[i],
    u.n_purchases = $n_purchases[i],
    u.n_orders = $n_orders[i],
    u.total_spent = $total_spent[i],
    u.avg_order_value = $avg_order_value[i],
    u.items_per_order = $items_per_order[i],
    u.rfm_r = $rfm_r[i],
    u.rfm_f = $rfm_f[i],
    u.rfm_m = $rfm_m[i],
    u.rfm_code = $rfm_code[i],
    u.mean_price_bought = $mean_price_bought[i],
    u.price_index_bought = $price_index_bought[i],
    u.below_median_purchase_share = $below_median_purchase_share[i],
    u.distinct_categories = $distinct_categories[i],
    u.category_entropy = $category_entropy[i],
    u.top_category = $top_category[i],
    u.brand_hhi_purchases = $brand_hhi_purchases[i],
    u.weekend_share = $weekend_share[i],
    u.promo_share = $promo_share[i],
    u.promo_lift = $promo_lift[i],
    u.preferred_month = $preferred_month[i],
    u.features_at = $computed_at
REMOVE u.recency_days
RETURN count(u) AS matched
