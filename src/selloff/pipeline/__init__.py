"""Write-side orchestration: plan what the store lacks, run the providers, write each batch atomically."""
