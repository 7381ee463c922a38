//! The Annuaire Santé directory: extraction import, local index, search, FHIR API.
