-- Run once by the official postgres image on an empty data volume (docker-entrypoint-initdb.d):
-- one database per service, as `mgrpc up --database` creates them.
CREATE DATABASE mgrpc_dashboard;
CREATE DATABASE mgrpc_product;
