//! Amazon ElastiCache (Redis OSS / Valkey and Memcached).
mod store;
