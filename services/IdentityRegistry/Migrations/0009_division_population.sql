-- Registered population (户籍人数) of a village as the township's task table gives it (Linjiang seed 002 §6): the
-- base of village targets and the weights of synthetic demo data. NULL where the seeds give none.
ALTER TABLE divisions ADD COLUMN registered_population int CHECK (registered_population >= 0);
