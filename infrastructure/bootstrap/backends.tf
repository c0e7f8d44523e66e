# Each environment's backend file, as an output: `make bootstrap` writes them to
# infrastructure/environments/<env>.backend.hcl (movers/backends.py), so nobody types a bucket name. One state
# object per environment under one bucket; the lock file sits next to it (<key>.tflock).

locals {
  state_keys = { for env in var.environments : env => "${var.project}/${env}/terraform.tfstate" }
}
