// The features' graph write as it was before recency left the graph (shopgraph aaebc1a): every customer's 29
// metrics, recency_days among them, so every customer's values move each month. bench/features_write.py's
// reference. Parameters: as cypher/features/set_user_features.cypher, plus $recency_days.
UNWIND range(0, size($user_ids) - 1) AS i
MATCH (u)
WHERE id(u) = $node_ids[i] AND u.user_id = $user_ids[i]
SET u.n_sessions = $n_sessions[i],
    u.active_days = $active_days[i],
    u.months_active = $months_active[i],
    u.tenure_days = $tenure_days[i],
    u.recency_days = $recency_days[i],
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
RETURN count(u) AS matched
