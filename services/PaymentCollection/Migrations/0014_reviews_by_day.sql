-- The console's peak page counts a day's refused notices every few seconds (GetCollectionActivity): by tenant and
-- creation time, without walking every review item the campaign has gathered.
CREATE INDEX payment_reviews_by_day ON payment_reviews (tenant_id, created_at);
