// Writes an Annuaire-Santé-like transaction Bundle for the test FHIR server (no real data):
// Organizations, Practitioners (IDNPS + RPPS identifiers, MSSanté mailboxes with the
// as-ext-mailbox-mss-metadata extension), PractitionerRoles linking them, and a few MHD-style
// DocumentReference + Binary resources for the records module.
// Usage: node seed.cjs OUT.json
'use strict';
const fs = require('node:fs');
const IDNPS = 'urn:oid:1.2.250.1.71.4.2.1';
const RPPS = 'https://rpps.esante.gouv.fr';
const TYPE_CS = 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203';
const MSS_EXT = 'https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata';
const G15 = 'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante';
const R38 = 'https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale';
const u = (n) => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const entries = [];
const add = (n, resource) => entries.push({ fullUrl: u(n), resource, request: { method: 'POST', url: resource.resourceType } });
const ident = (type, system, value) => ({ use: 'official', type: { coding: [{ system: TYPE_CS, code: type }] }, system, value });
const mailbox = (address, type, service) => ({
  system: 'email', value: address,
  extension: [{ url: MSS_EXT, extension: [
    { url: 'type', valueCodeableConcept: { coding: [{ system: 'https://mos.esante.gouv.fr/NOS/JDV_J139-TypeBAL-RASS/FHIR/JDV-J139-TypeBAL-RASS', code: type }] } },
    ...(service ? [{ url: 'service', valueString: service }] : []),
  ] }],
});

const cities = [['LYON', '69003'], ['PARIS', '75012'], ['NANTES', '44000'], ['LILLE', '59000'], ['BREST', '29200']];
cities.forEach(([city, postalCode], i) => {
  add(100 + i, { resourceType: 'Organization', active: true, name: `CENTRE HOSPITALIER DE ${city}`,
    identifier: [ident('IDNST', 'urn:oid:1.2.250.1.71.4.2.2', `1${postalCode}000${i}`)],
    address: [{ line: [`${10 + i} RUE PASTEUR`], postalCode, city }],
    telecom: [{ system: 'phone', value: `04720000${i}0` }, mailbox(`secretariat@ch-${city.toLowerCase()}.mssante.fr`, 'ORG', 'Secrétariat')] });
});

const professions = [['10', 'Médecin'], ['60', 'Infirmier'], ['21', 'Pharmacien']];
const people = [
  // The simulated CPS card holder (docs/dev/test-stack.md).
  ['MARTIN', 'Alice', '10100000017', 0, 'female'],
];
// Seven BERTHELOT make paging observable with a small _count.
['Paul', 'Anne', 'Louis', 'Claire', 'Hugo', 'Emma', 'Jules'].forEach((g, i) =>
  people.push(['BERTHELOT', g, `1020000${String(i).padStart(4, '0')}`, i % 3, i % 2 ? 'female' : 'male']));
[['DUPONT', 'Jean'], ['LÉGER', 'Hélène'], ['N\'DIAYE', 'Awa'], ['LE GALL', 'Yann'], ['FONTAINE', 'Luc']].forEach(([f, g], i) =>
  people.push([f, g, `1030000${String(i).padStart(4, '0')}`, i % 3, 'other']));

people.forEach(([family, given, rpps, prof, gender], i) => {
  const local = `${given}.${family}`.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z.]/g, '-').toLowerCase();
  add(200 + i, { resourceType: 'Practitioner', active: true, gender,
    identifier: [ident('IDNPS', IDNPS, '8' + rpps), ident('RPPS', RPPS, rpps)],
    name: [{ use: 'usual', family, given: [given], prefix: [prof === 0 ? 'DR' : 'M'] }],
    telecom: [mailbox(`${local}@${prof === 0 ? 'medecin' : prof === 1 ? 'infirmier' : 'pharmacien'}.mssante.fr`, 'PER')] });
  add(400 + i, { resourceType: 'PractitionerRole', active: true,
    practitioner: { reference: u(200 + i) }, organization: { reference: u(100 + (i % cities.length)) },
    code: [{ coding: [{ system: G15, code: professions[prof][0], display: professions[prof][1] }] }],
    ...(prof === 0 ? { specialty: [{ coding: [{ system: R38, code: 'SM54', display: 'Médecine générale' }] }] } : {}) });
});

// MHD-style documents for the records module.
const cda = '<?xml version="1.0" encoding="UTF-8"?><ClinicalDocument xmlns="urn:hl7-org:v3"><title>Compte rendu de test</title></ClinicalDocument>';
add(600, { resourceType: 'Patient', active: true, name: [{ family: 'TEST', given: ['Patient'] }], gender: 'female', birthDate: '1980-01-01',
  identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.10', value: '280019900000011' }] });
[['11488-4', 'Consult note'], ['18842-5', 'Discharge summary']].forEach(([code, display], i) => {
  add(610 + i, { resourceType: 'Binary', contentType: 'application/xml', data: Buffer.from(cda).toString('base64') });
  add(620 + i, { resourceType: 'DocumentReference', status: 'current',
    masterIdentifier: { system: 'urn:ietf:rfc:3986', value: `urn:oid:1.2.250.1.999.42.${i + 1}` },
    type: { coding: [{ system: 'http://loinc.org', code, display }] },
    subject: { reference: u(600) }, date: `2025-0${i + 3}-15T10:00:00+01:00`, author: [{ reference: u(200) }],
    content: [{ attachment: { contentType: 'application/xml', url: u(610 + i), title: display } }] });
});

fs.writeFileSync(process.argv[2] || 'seed-bundle.json', JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries }));
console.log(`${entries.length} entries`);
