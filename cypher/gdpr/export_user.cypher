// Everything the graph holds about one user (GDPR right of access): properties, segment,
// and every relationship with the product it points to. Parameters: $user_id (stored id).
MATCH (u:User {user_id: $user_id})
OPTIONAL MATCH (u)-[r]->(x)
RETURN properties(u) AS user,
       collect(CASE WHEN r IS NULL THEN NULL ELSE
         {type: type(r), properties: properties(r), target_labels: labels(x),
          target: coalesce(x.product_id, x.segment_id, x.name)} END) AS relationships
