//! Compare two scored runs (copied from branch `compare` for the report stage; H4 owns it).

pub mod model;
