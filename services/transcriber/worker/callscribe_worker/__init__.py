"""callscribe model worker: loads one model once and answers framed batch requests on stdio."""
