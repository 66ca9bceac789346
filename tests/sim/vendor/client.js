// A client in the shape of the "Complete Integration Example" of the Paxos Smart Order
// Routing WebSocket integration guide (Node.js `ws`): a class with connect(), a subscribe
// helper, handleMessage(), orderBooks keyed by the raw price strings, buffered UPDATEs
// until the SNAPSHOT, and a fixed 5 s reconnect.  It keeps the guide's logic, flaws included
// (string time comparison, `=== '0'` deletes), so it shows that the simulator speaks the
// documented protocol to a client built only from the vendor documentation.
//
// Usage: node client.js WS_URL ACCESS_TOKEN SECONDS
const WebSocket = require('ws');

class SmartOrderRoutingClient {
  constructor(uri, token) {
    this.uri = uri;
    this.token = token;
    this.ws = null;
    this.orderBooks = new Map();
    this.updateBuffers = new Map();
    this.reconnectDelay = 5000;
    this.updatesApplied = 0;
    this.executions = 0;
  }

  connect() {
    this.ws = new WebSocket(this.uri, { headers: { Authorization: `Bearer ${this.token}` } });
    this.ws.on('open', () => {
      console.log('Connected to Smart Order Routing WebSocket');
      this.subscribeToMarkets(['BTCUSD', 'ETHUSD']);
    });
    this.ws.on('message', (data) => this.handleMessage(JSON.parse(data)));
    this.ws.on('error', (error) => console.error('WebSocket error:', error.message));
    this.ws.on('close', () => {
      console.log('Connection closed, reconnecting...');
      setTimeout(() => this.connect(), this.reconnectDelay);
    });
  }

  subscribeToMarkets(markets) {
    const channels = [];
    for (const market of markets) {
      channels.push({ type: 'market_data', params: { market } });
      channels.push({ type: 'execution_data', params: { market } });
    }
    this.ws.send(JSON.stringify({ type: 'subscribe', channels }));
  }

  handleMessage(message) {
    if (message.type === 'subscribe') {
      for (const channel of message.channels) {
        if (channel.success) console.log(`Subscribed to ${channel.type}`);
        else console.error(`Failed to subscribe: ${channel.error}`);
      }
      return;
    }
    if (message.channel === 'market_data') this.processMarketData(message.payload);
    if (message.channel === 'execution_data') this.processExecution(message.payload);
  }

  processMarketData(data) {
    const market = data.market;
    if (data.type === 'SNAPSHOT') {
      const book = { bids: new Map(), asks: new Map(), snapshotTime: data.time };
      data.bids.forEach((level) => book.bids.set(level.price, level.amount));
      data.asks.forEach((level) => book.asks.set(level.price, level.amount));
      this.orderBooks.set(market, book);
      console.log(`Order book initialized for ${market} at ${data.time}`);
      const buffered = this.updateBuffers.get(market) || [];
      buffered.filter((u) => u.time > data.time).forEach((u) => this.applyUpdate(market, u));
      this.updateBuffers.delete(market);
    } else if (data.type === 'UPDATE') {
      const book = this.orderBooks.get(market);
      if (!book || !book.snapshotTime) {
        if (!this.updateBuffers.has(market)) this.updateBuffers.set(market, []);
        this.updateBuffers.get(market).push(data);
      } else {
        this.applyUpdate(market, data);
      }
    }
  }

  applyUpdate(market, update) {
    const book = this.orderBooks.get(market);
    if (!book) return;
    for (const side of ['bids', 'asks']) {
      if (!update[side]) continue;
      update[side].forEach((level) => {
        if (level.amount === '0') book[side].delete(level.price);
        else book[side].set(level.price, level.amount);
      });
    }
    this.updatesApplied += 1;
  }

  processExecution(execution) {
    this.executions += 1;
    console.log(`Execution: ${execution.amount} ${execution.market} @ ${execution.price}`);
  }
}

const [uri, token, seconds] = process.argv.slice(2);
const client = new SmartOrderRoutingClient(uri, token);
client.connect();
setTimeout(() => {
  for (const [market, book] of client.orderBooks) {
    console.log(`Book ${market}: ${book.bids.size} bids, ${book.asks.size} asks`);
  }
  console.log(`UPDATEs applied: ${client.updatesApplied}`);
  console.log(`Executions: ${client.executions}`);
  process.exit(0);
}, Number(seconds || 2) * 1000);
