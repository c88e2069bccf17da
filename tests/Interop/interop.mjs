// An independent county-system client: grpc-js with no generated code and no .proto file of the platform. It learns
// the contracts by gRPC server reflection (v1) through the gateway, builds its stubs from the file descriptors it
// was given, then registers a resident, quotes, pays (create order, then the channel's confirmation) and reads her
// enrolment, and reads a refusal's google.rpc.ErrorInfo reason from grpc-status-details-bin, decoded with
// google/rpc types also fetched by reflection. Prints one JSON object on stdout; exits non-zero on any failure.
//
//   MEDINS_GATEWAY=127.0.0.1:5100 MEDINS_API_KEY=demo-linjiang-key node interop.mjs
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import 'protobufjs/ext/descriptor/index.js';

const gateway = process.env.MEDINS_GATEWAY ?? '127.0.0.1:5100';
const apiKey = process.env.MEDINS_API_KEY ?? 'demo-linjiang-key';
const coverageYear = Number(process.env.MEDINS_COVERAGE_YEAR ?? 2024);
const credentials = grpc.credentials.createInsecure();
const deadline = () => new Date(Date.now() + 30_000);

// The public gRPC reflection protocol (grpc/reflection/v1/reflection.proto), the one thing a client brings itself.
const reflectionProto = `
syntax = "proto3";
package grpc.reflection.v1;
service ServerReflection {
  rpc ServerReflectionInfo(stream ServerReflectionRequest) returns (stream ServerReflectionResponse);
}
message ServerReflectionRequest {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
    ExtensionRequest file_containing_extension = 5;
    string all_extension_numbers_of_type = 6;
    string list_services = 7;
  }
}
message ExtensionRequest { string containing_type = 1; int32 extension_number = 2; }
message ServerReflectionResponse {
  string valid_host = 1;
  ServerReflectionRequest original_request = 2;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ExtensionNumberResponse all_extension_numbers_response = 5;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ExtensionNumberResponse { string base_type_name = 1; repeated int32 extension_number = 2; }
message ListServiceResponse { repeated ServiceResponse service = 1; }
message ServiceResponse { string name = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }
`;

const loaderOptions = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const reflectionRoot = protobuf.parse(reflectionProto, { keepCase: true }).root;
const Reflection = grpc.loadPackageDefinition(protoLoader.fromJSON(reflectionRoot.toJSON(), loaderOptions))
  .grpc.reflection.v1.ServerReflection;
const reflection = new Reflection(gateway, credentials);

function keyed(key = apiKey) {
  const metadata = new grpc.Metadata();
  if (key) metadata.set('x-api-key', key);
  return metadata;
}

/** One reflection request on its own stream; resolves with the one answer, rejects with the call's error. */
function reflect(request, key = apiKey) {
  return new Promise((resolve, reject) => {
    const call = reflection.ServerReflectionInfo(keyed(key), { deadline: deadline() });
    let answer;
    call.on('data', (response) => { answer = response; });
    call.on('error', reject);
    call.on('end', () => (answer ? resolve(answer) : reject(new Error('reflection: no answer'))));
    call.write(request);
    call.end();
  });
}

async function fileDescriptors(request) {
  const answer = await reflect(request);
  if (answer.message_response !== 'file_descriptor_response')
    throw new Error(`reflection ${JSON.stringify(request)}: ${JSON.stringify(answer.error_response)}`);
  return answer.file_descriptor_response.file_descriptor_proto;
}

// A FileDescriptorSet is `repeated FileDescriptorProto file = 1`: each file, length-delimited, under field 1.
function descriptorSet(files) {
  const writer = protobuf.Writer.create();
  for (const file of files) writer.uint32((1 << 3) | 2).bytes(file);
  return Buffer.from(writer.finish());
}

/** Every file the named symbols need, fetched by reflection, each once (by name). */
async function filesFor(symbols) {
  const byName = new Map();
  for (const symbol of symbols) {
    for (const bytes of await fileDescriptors({ file_containing_symbol: symbol })) {
      const name = decodeFileName(bytes);
      if (!byName.has(name)) byName.set(name, bytes);
    }
  }
  return byName;
}

// FileDescriptorProto.name is field 1 (string); read it without a descriptor type.
function decodeFileName(bytes) {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) return reader.string();
    reader.skipType(tag & 7);
  }
  throw new Error('file descriptor without a name');
}

/** The ErrorInfo reason (and code) of a failed call, from grpc-status-details-bin, with google.rpc types from reflection. */
function errorReason(error, rpcTypes) {
  const [details] = error.metadata?.get('grpc-status-details-bin') ?? [];
  if (!details) throw new Error(`no grpc-status-details-bin on ${error.code} ${error.details}`);
  const status = rpcTypes.lookupType('google.rpc.Status').decode(details);
  const ErrorInfo = rpcTypes.lookupType('google.rpc.ErrorInfo');
  const info = status.details.find((any) => any.type_url.endsWith('/google.rpc.ErrorInfo'));
  if (!info) throw new Error(`status ${status.code} has no ErrorInfo`);
  return { code: status.code, reason: ErrorInfo.decode(info.value).reason };
}

function unary(client, method, request) {
  return new Promise((resolve, reject) =>
    client[method](request, keyed(), { deadline: deadline() }, (error, response) => (error ? reject(error) : resolve(response))));
}

async function expectError(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('the call was expected to fail');
}

// GB 11643: 17 digits, then the ISO 7064 MOD 11-2 check character.
function nationalId(region, birth, sequence) {
  const body = `${region}${birth}${String(sequence).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((total, digit, i) => total + Number(digit) * weights[i], 0);
  return body + '10X98765432'[sum % 11];
}

function birthDate(run) {
  const month = 1 + (Math.floor(run / 1000) % 12);
  const day = 1 + (Math.floor(run / 12000) % 28);
  return `1982${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  // 1. What does the gateway offer? (grpcurl list)
  const listed = await reflect({ list_services: '' });
  const services = listed.list_services_response.service.map((s) => s.name);

  // 2. Their contracts, with every import, and google.rpc's error types (grpcurl describe).
  const files = await filesFor([...services, 'google.rpc.Status', 'google.rpc.ErrorInfo']);
  const contracts = grpc.loadPackageDefinition(
    protoLoader.loadFileDescriptorSetFromBuffer(descriptorSet(files.values()), loaderOptions));
  const rpcTypes = protobuf.Root.fromDescriptor(descriptorSet(files.values()));
  const client = (name) => {
    const Service = name.split('.').reduce((scope, part) => scope[part], contracts);
    if (typeof Service !== 'function') throw new Error(`${name} was listed but not described`);
    return new Service(gateway, credentials);
  };
  const identity = client('medins.identity.v1.IdentityRegistryService');
  const contribution = client('medins.contribution.v1.ContributionCalculationService');
  const payments = client('medins.payment.v1.PaymentCollectionService');

  // 3. The walking path through the gateway.
  const run = Date.now();
  const divisions = await unary(identity, 'ListDivisions', { page_size: 500 });
  const village = divisions.divisions.find((d) => d.level === 'DIVISION_LEVEL_VILLAGE');
  if (!village) throw new Error('no village in this tenant');
  const registered = await unary(identity, 'RegisterResident', {
    request_id: `interop-register-${run}`,
    // Varied by the run, so repeated runs against one `./platform up` register different people.
    national_id: nationalId('500118', birthDate(run), run % 1000),
    name: '张桂兰',
    village_code: village.code,
    registration_type: 'REGISTRATION_TYPE_HOUSEHOLD_REGISTERED',
    phone: '13800005678',
  });
  const residentId = registered.resident.resident_id;
  const quote = await unary(contribution, 'QuoteContribution', { coverage_year: coverageYear });
  const created = await unary(payments, 'CreatePaymentOrder', {
    request_id: `interop-order-${run}`,
    resident_id: residentId,
    coverage_year: coverageYear,
    channel: 'PAYMENT_CHANNEL_WECHAT_PAY',
  });
  const paid = await unary(payments, 'ConfirmPayment', {
    order_id: created.order.order_id,
    channel_transaction_id: `wx-interop-${run}`,
    amount_fen: created.order.personal_amount_fen,
  });

  // contribution.paid reaches identity-registry asynchronously.
  let enrolment;
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(250)) {
    const { resident } = await unary(identity, 'GetResident', { resident_id: residentId });
    enrolment = resident.enrolments.find((e) => e.coverage_year === coverageYear);
    if (enrolment?.status === 'ENROLMENT_STATUS_ENROLLED') break;
  }

  // 4. Refusals, read from the status details: a bad ID number, and reflection without a key.
  const refused = errorReason(await expectError(unary(identity, 'RegisterResident', {
    request_id: `interop-bad-id-${run}`,
    national_id: '500118198203040000',
    name: '张桂兰',
    village_code: village.code,
  })), rpcTypes);
  const anonymous = errorReason(await expectError(reflect({ list_services: '' }, null)), rpcTypes);

  const result = {
    services,
    describedFiles: [...files.keys()].sort(),
    quotePersonalAmountFen: quote.quote.personal_amount_fen,
    residentId,
    orderId: created.order.order_id,
    orderState: paid.order.state,
    enrolmentStatus: enrolment?.status ?? null,
    enrolmentOrderId: enrolment?.order_id ?? null,
    error: { code: refused.code, reason: refused.reason },
    reflectionWithoutKey: { code: anonymous.code, reason: anonymous.reason },
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`interop failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
