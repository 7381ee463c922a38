//! The shared patient record (DMP): INS, CDA rendering, MHD and XDS.b clients.
